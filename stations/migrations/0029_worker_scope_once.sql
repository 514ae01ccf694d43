-- Citus mode: the read scope on a worker asked of the coordinator once a transaction of the
-- worker's backend, not once a row. A distributed table's policy calls `scope()` per row there
-- (Citus refuses the subquery that makes it one call a statement), and 0028 asked the coordinator
-- each time (~10-25 ms a row). The answer is now kept in a temporary table of the worker's backend
-- that the guard owns (as 0023's on the coordinator), one row a transaction, emptied at commit and
-- keyed by the transaction's start besides: a pooled connection serving another transaction asks
-- again. The reader can neither write nor empty a table it does not own; one of its own of the
-- same name is not the guard's, and the look-up is then asked every row as before, never wider.
-- The table is made by the first look-up of a transaction that may make one: Citus begins a
-- worker's transaction READ ONLY only when the coordinator's BEGIN says so, so the service's reads
-- say it by `SET TRANSACTION READ ONLY` (projections/connections.py). A backend that serves one of
-- the coordinator's takes its scope from there alone: a lock or a table of its own binds nothing.
-- No scope is kept too: a binding made after the transaction's first read of that worker is not
-- seen there (narrower, never wider; the service binds before reading). The table is written by a
-- policy's check, which a statement in parallel mode could not do: a policy-bound table is never
-- scanned in parallel (`scope()` is PARALLEL RESTRICTED), so none is expected; one would fail.
-- Without Citus, or in a backend of the node's own, nothing changes. Functions of a superuser.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0029 replaces the guard''s functions, which a superuser owns: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
DO $$ BEGIN PERFORM stations_guard.enter_maintenance('migration 0029: a worker asks the coordinator for the read scope once a transaction'); END $$;

-- The global process id of the coordinator's backend this one serves, on a worker; else none.
-- Named in EXECUTE only: the functions exist where Citus is installed.
CREATE OR REPLACE FUNCTION stations_guard.served_backend() RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        gpid bigint;
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
            RETURN NULL;
        END IF;
        EXECUTE $q$
            SELECT citus_backend_gpid() FROM pg_dist_node n
            WHERE n.groupid = 0 AND n.nodeid = citus_nodeid_for_gpid(citus_backend_gpid())
              AND (SELECT groupid FROM pg_dist_local_group) <> 0
        $q$ INTO gpid;
        RETURN gpid;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.served_backend() FROM PUBLIC;

-- The scope that backend's advisory lock binds, asked of the coordinator (0028's look-up, ~10 ms).
CREATE OR REPLACE FUNCTION stations_guard.asked_scope(gpid bigint) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        answer text;
        key bigint;
    BEGIN
        IF gpid IS NULL THEN
            RETURN NULL;
        END IF;
        EXECUTE $q$
            SELECT c.result FROM run_command_on_coordinator(format(
                'SELECT coalesce(min(objid::bigint), 0)::text || '':'' || count(*) FROM pg_locks'
                ' WHERE locktype = ''advisory'' AND classid = 727 AND objsubid = 2 AND granted AND pid = %s',
                citus_pid_for_gpid($1))) c
            WHERE c.success
        $q$ INTO answer USING gpid;
        IF answer IS NULL OR split_part(answer, ':', 2) <> '1' THEN
            RETURN NULL;
        END IF;
        key := split_part(answer, ':', 1)::bigint;
        RETURN CASE key WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city' ELSE lpad(key::text, 6, '0') END;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.asked_scope(bigint) FROM PUBLIC;

-- The worker's backend's table of what the coordinator answered, if it is the guard's own (asked
-- once a transaction, before writing to it). This and `served_scope` run inside `scope()` only:
-- its owner's rights and search path serve them (their own would cost each row a switch of both).
CREATE OR REPLACE FUNCTION stations_guard.asked_table() RETURNS oid
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$
    SELECT c.oid FROM pg_class c
    WHERE c.oid = to_regclass('pg_temp.stations_guard_asked') AND c.relowner = current_user::regrole
    $$;
REVOKE ALL ON FUNCTION stations_guard.asked_table() FROM PUBLIC;

-- The scope of the coordinator's backend this one serves: this transaction's answer kept (`kept`:
-- the caller found the guard's table), else asked and kept. VOLATILE, so that the rows after the
-- first see the answer within one statement (a STABLE function reads with the statement's
-- snapshot, taken before it was written).
CREATE OR REPLACE FUNCTION stations_guard.served_scope(kept boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
    AS $$
    DECLARE
        answer text;
    BEGIN
        IF kept THEN
            SELECT a.scope INTO answer FROM pg_temp.stations_guard_asked a WHERE a.began = transaction_timestamp();
            IF FOUND THEN
                RETURN answer;
            END IF;
        END IF;
        answer := stations_guard.asked_scope(stations_guard.served_backend());
        -- Rows of a temporary table may be written in a READ ONLY transaction, the table not made.
        IF NOT kept AND NOT current_setting('transaction_read_only')::boolean THEN
            CREATE TEMPORARY TABLE IF NOT EXISTS stations_guard_asked (began timestamptz NOT NULL, scope text)
                ON COMMIT DELETE ROWS;
            kept := stations_guard.asked_table() IS NOT NULL;
        END IF;
        IF kept THEN
            INSERT INTO pg_temp.stations_guard_asked (began, scope) VALUES (transaction_timestamp(), answer);
        END IF;
        RETURN answer;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.served_scope(boolean) FROM PUBLIC;

-- The lock, as 0021 reads it; but a backend serving the coordinator's asks the coordinator.
CREATE OR REPLACE FUNCTION stations_guard.locked_scope() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        key bigint;
        keys integer;
    BEGIN
        IF stations_guard.served_backend() IS NOT NULL THEN
            RETURN stations_guard.served_scope(stations_guard.asked_table() IS NOT NULL);
        END IF;
        SELECT min(objid::bigint), count(*) INTO key, keys FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727 AND objsubid = 2 AND granted;
        IF keys <> 1 THEN
            RETURN NULL;
        END IF;
        RETURN CASE key WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city' ELSE lpad(key::text, 6, '0') END;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.locked_scope() FROM PUBLIC;

-- Per row on a worker: the kept answer first. Whose table it is is asked of the privileges, not of
-- pg_class (a query a row, a third of the check's cost): the login holds the grant options of any
-- table whose owner's rights it has, even after revoking its own privileges, so a table it made
-- (or any role it acts as) is never taken for the guard's; the guard grants its table to nobody.
CREATE OR REPLACE FUNCTION stations_guard.scope() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        asked oid := to_regclass('pg_temp.stations_guard_asked');
        bound text;
    BEGIN
        IF asked IS NOT NULL AND has_table_privilege(session_user, asked, 'SELECT WITH GRANT OPTION') IS FALSE THEN
            RETURN stations_guard.served_scope(true);
        END IF;
        IF stations_guard.bound_table() IS NOT NULL THEN
            SELECT CASE WHEN count(*) = 1 THEN min(b.scope) END INTO bound FROM pg_temp.stations_guard_bound b;
            IF bound IS NOT NULL THEN
                RETURN bound;
            END IF;
        END IF;
        RETURN stations_guard.locked_scope();
    END
    $$;

-- A session's table of bound scopes is made on the node it reads through: on a worker's backend
-- serving the coordinator's, a scope bound there would be the session's own word.
CREATE OR REPLACE FUNCTION stations_guard.open_session() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    BEGIN
        IF stations_guard.scope_locked() THEN
            RAISE EXCEPTION 'a session is opened before its transactions bind a scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF stations_guard.served_backend() IS NOT NULL THEN
            RAISE EXCEPTION 'a session is opened on the coordinator, not in a worker''s backend serving it'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        CREATE TEMPORARY TABLE IF NOT EXISTS stations_guard_bound (scope text NOT NULL) ON COMMIT DELETE ROWS;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.open_session() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.open_session() TO stations_reader;

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
