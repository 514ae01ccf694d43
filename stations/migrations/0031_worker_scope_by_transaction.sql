-- Citus mode: a worker's backend finds the coordinator's backend it serves by the distributed
-- transaction, not by the global process id. 0028 and 0029 took the id Citus reads from the worker
-- backend's `application_name`, and Citus reads it again whenever that changes: a reader's
-- statement pushed down to a worker calling `set_config('application_name', 'citus_internal gpid=…')`
-- had that backend's later transactions ask the coordinator for another backend's scope (shown on
-- the cluster: a reader bound to one district then read another's rows while a backend bound to
-- every district was open). The distributed transaction's number is given to the worker's
-- transaction by the coordinator as it begins (`assign_distributed_transaction_id`), cannot be
-- given twice in one transaction, and is gone at its end: the coordinator's backend found by it
-- is the one whose transaction this is. A served backend with no number (a statement outside any
-- transaction block) has no scope. Functions of a superuser, replaced once.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0031 replaces the guard''s functions, which a superuser owns: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
DO $$ BEGIN PERFORM stations_guard.enter_maintenance('migration 0031: a worker finds the backend it serves by the distributed transaction'); END $$;

-- On a worker, the number of the coordinator's distributed transaction this backend's transaction
-- belongs to; 0 for a backend serving the coordinator's outside one; else none. Named in EXECUTE
-- only: the functions exist where Citus is installed.
CREATE OR REPLACE FUNCTION stations_guard.served_backend() RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        served bigint;
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
            RETURN NULL;
        END IF;
        EXECUTE $q$
            SELECT CASE WHEN t.initiator_node_identifier = 0 AND t.transaction_number <> 0 THEN t.transaction_number
                        WHEN EXISTS (SELECT FROM pg_dist_node n WHERE n.groupid = 0
                                     AND n.nodeid = citus_nodeid_for_gpid(citus_backend_gpid())) THEN 0 END
            FROM get_current_transaction_id() t
            WHERE (SELECT groupid FROM pg_dist_local_group) <> 0
        $q$ INTO served;
        RETURN served;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.served_backend() FROM PUBLIC;

-- The scope the advisory lock of the coordinator's backend running that distributed transaction
-- binds (its number and its start, as the worker's transaction holds them; the one that began it
-- there, not a query run for another node's), asked of the coordinator.
-- Made again rather than replaced: its argument was a process id.
DROP FUNCTION stations_guard.asked_scope(bigint);
CREATE FUNCTION stations_guard.asked_scope(served bigint) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        answer text;
        key bigint;
    BEGIN
        IF served IS NULL OR served = 0 THEN
            RETURN NULL;
        END IF;
        EXECUTE $q$
            SELECT c.result FROM get_current_transaction_id() t, run_command_on_coordinator(format(
                'SELECT coalesce(min(l.objid::bigint), 0)::text || '':'' || count(*) FROM pg_locks l'
                ' WHERE l.locktype = ''advisory'' AND l.classid = 727 AND l.objsubid = 2 AND l.granted'
                ' AND l.pid IN (SELECT a.process_id FROM get_all_active_transactions() a'
                ' WHERE NOT a.worker_query AND a.transaction_number = %s'
                ' AND a.transaction_stamp = %L::timestamptz)', t.transaction_number, t.transaction_stamp)) c
            WHERE c.success AND t.transaction_number = $1
        $q$ INTO answer USING served;
        IF answer IS NULL OR split_part(answer, ':', 2) <> '1' THEN
            RETURN NULL;
        END IF;
        key := split_part(answer, ':', 1)::bigint;
        RETURN CASE key WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city' ELSE lpad(key::text, 6, '0') END;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.asked_scope(bigint) FROM PUBLIC;

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
