-- Citus mode (README, "Citus"): a district's store is a distributed schema on a worker, and its
-- row-level security is checked there, by the worker's backend that runs the coordinator's query.
-- That backend holds neither the reader's advisory lock nor its session table, so the bound scope
-- read as before is none, and a scoped reader saw no event. It carries the global process id of
-- the coordinator's backend (`citus_backend_gpid()`); the lock is looked up there, through
-- `citus_locks`: still the advisory lock the reader cannot take itself. Without Citus, or in a
-- backend of the node's own, nothing changes. The guard's functions belong to a superuser.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0028 replaces a guard''s function, which a superuser owns: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
DO $$ BEGIN PERFORM stations_guard.enter_maintenance('migration 0028: the read scope seen on a Citus worker'); END $$;

CREATE OR REPLACE FUNCTION stations_guard.locked_scope() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        key bigint;
        keys integer;
    BEGIN
        SELECT min(objid::bigint), count(*) INTO key, keys FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727 AND objsubid = 2 AND granted;
        -- Named in EXECUTE only: the functions and the view exist where Citus is installed.
        IF keys = 0 AND EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
            EXECUTE 'SELECT min(objid::bigint), count(*) FROM pg_catalog.citus_locks'
                    ' WHERE locktype = ''advisory'' AND classid = 727 AND objsubid = 2 AND granted'
                    '  AND global_pid = citus_backend_gpid()'
                    '  AND citus_nodeid_for_gpid(citus_backend_gpid()) <> (SELECT nodeid FROM pg_dist_node'
                    '   WHERE groupid = (SELECT groupid FROM pg_dist_local_group) AND noderole = ''primary'')'
                INTO key, keys;
        END IF;
        IF keys <> 1 THEN
            RETURN NULL;
        END IF;
        RETURN CASE key WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city' ELSE lpad(key::text, 6, '0') END;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.locked_scope() FROM PUBLIC;

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
