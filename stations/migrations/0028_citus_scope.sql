-- Citus mode (README, "Citus"): a district's store is a distributed schema on a worker, and its
-- row-level security is checked there, by the worker's backend that runs the coordinator's query.
-- That backend holds neither the reader's advisory lock nor its session table, so the bound scope
-- read as before is none, and a scoped reader saw no event. It carries the global process id of
-- the coordinator's backend (`citus_backend_gpid()`); the lock is asked of that backend on the
-- coordinator: still the advisory lock the reader cannot take itself. Without Citus, or in a
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
        found text;
    BEGIN
        SELECT min(objid::bigint), count(*) INTO key, keys FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727 AND objsubid = 2 AND granted;
        -- Named in EXECUTE only: the functions exist where Citus is installed. Asked of the
        -- coordinator alone (~10 ms a statement here; `citus_locks` asks every node, ~50 ms), and
        -- only for a backend serving the coordinator's (group 0) on another node.
        IF keys = 0 AND EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
            EXECUTE $q$
                SELECT c.result FROM pg_dist_node n, run_command_on_coordinator(format(
                    'SELECT coalesce(min(objid::bigint), 0)::text || '':'' || count(*) FROM pg_locks'
                    ' WHERE locktype = ''advisory'' AND classid = 727 AND objsubid = 2 AND granted AND pid = %s',
                    citus_pid_for_gpid(citus_backend_gpid()))) c
                WHERE n.groupid = 0 AND n.nodeid = citus_nodeid_for_gpid(citus_backend_gpid())
                  AND (SELECT groupid FROM pg_dist_local_group) <> 0 AND c.success
            $q$ INTO found;
            IF found IS NOT NULL THEN
                key := split_part(found, ':', 1)::bigint;
                keys := split_part(found, ':', 2)::integer;
            END IF;
        END IF;
        IF keys <> 1 THEN
            RETURN NULL;
        END IF;
        RETURN CASE key WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city' ELSE lpad(key::text, 6, '0') END;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.locked_scope() FROM PUBLIC;

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
