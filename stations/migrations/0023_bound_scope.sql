-- The read scope's check, made cheap (bench/scope.py): `stations_guard.scope()` read pg_locks, the
-- whole cluster's lock table, for every policy-bound table of every query (0.5-1.3 ms a call with
-- ~600 locks on the cluster). The advisory lock stays the authority; beside it, `bind_scope` now
-- writes the scope into a temporary table of the session that the guard owns (`open_session`, as a
-- reader's connection opens, before any binding), emptied at every commit. The reader can neither
-- write, empty nor drop a table it does not own; `DISCARD TEMP` removes it, and a table of the same name the reader makes is not the guard's:
-- `scope()` then reads the lock, at the old price, and no session widens its scope.
-- The guard's functions belong to the superuser that applied 0021: a superuser replaces them, once.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0023 replaces the guard''s functions, which a superuser owns: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
-- PERFORM, not SELECT: a step that returns rows has yoyo print them on the start's console.
DO $$ BEGIN PERFORM stations_guard.enter_maintenance('migration 0023: a bound read scope read back without pg_locks'); END $$;

-- The session's table of bound scopes, if it is the guard's own (its owner is this function's).
CREATE OR REPLACE FUNCTION stations_guard.bound_table() RETURNS oid
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT c.oid FROM pg_class c
    WHERE c.oid = to_regclass('pg_temp.stations_guard_bound') AND c.relowner = current_user::regrole
    $$;
REVOKE ALL ON FUNCTION stations_guard.bound_table() FROM PUBLIC;

-- Whether this transaction holds a scope's lock already (a read of the cluster's lock table).
CREATE OR REPLACE FUNCTION stations_guard.scope_locked() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727
                   AND objsubid = 2)
    $$;
REVOKE ALL ON FUNCTION stations_guard.scope_locked() FROM PUBLIC;

-- A reader's connection, as it opens (outside a read-only transaction: it creates a table). Never
-- once a scope is bound: a table made then would not hold it, and a second binding would pass.
CREATE OR REPLACE FUNCTION stations_guard.open_session() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    BEGIN
        IF stations_guard.scope_locked() THEN
            RAISE EXCEPTION 'a session is opened before its transactions bind a scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        CREATE TEMPORARY TABLE IF NOT EXISTS stations_guard_bound (scope text NOT NULL) ON COMMIT DELETE ROWS;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.open_session() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.open_session() TO stations_reader;

-- The scope as the transaction's advisory lock says it (0021's `scope()`): the authority.
CREATE OR REPLACE FUNCTION stations_guard.locked_scope() RETURNS text
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT CASE WHEN count(*) = 1 THEN
                CASE min(objid::bigint) WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city'
                     ELSE lpad(min(objid::bigint)::text, 6, '0') END END
    FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727 AND objsubid = 2 AND granted
    $$;
REVOKE ALL ON FUNCTION stations_guard.locked_scope() FROM PUBLIC;

CREATE OR REPLACE FUNCTION stations_guard.scope() RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        bound text;
    BEGIN
        IF stations_guard.bound_table() IS NOT NULL THEN
            SELECT CASE WHEN count(*) = 1 THEN min(b.scope) END INTO bound FROM pg_temp.stations_guard_bound b;
            IF bound IS NOT NULL THEN
                RETURN bound;
            END IF;
        END IF;
        RETURN stations_guard.locked_scope();
    END
    $$;

-- A second binding is refused: seen in the guard's table where the session has it (no lock table
-- read), else in the lock table.
CREATE OR REPLACE FUNCTION stations_guard.bind_scope(scope text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        key integer := stations_guard.scope_key(scope);
        kept boolean := stations_guard.bound_table() IS NOT NULL;
        taken boolean;
    BEGIN
        IF key IS NULL THEN
            RAISE EXCEPTION 'not a read scope: %', scope USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF kept THEN
            taken := EXISTS (SELECT FROM pg_temp.stations_guard_bound);
        ELSE
            taken := stations_guard.scope_locked();
        END IF;
        IF taken THEN
            RAISE EXCEPTION 'the read scope of this transaction is bound already'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM pg_advisory_xact_lock_shared(727, key);
        IF kept THEN
            INSERT INTO pg_temp.stations_guard_bound (scope) VALUES (bind_scope.scope);
        END IF;
        RETURN scope;
    END
    $$;

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
