-- The read scope's check, made cheap (bench/scope.py): `stations_guard.scope()` read pg_locks, the
-- whole cluster's lock table, for every policy-bound table of every query (0.5-1.3 ms a call with
-- ~600 locks on the cluster). The advisory lock stays the authority and `bind_scope` still refuses a
-- second binding by it, once per transaction; beside the lock, it now leaves the scope in a
-- transaction-local setting sealed for this backend and this transaction with keys only the guard
-- reads. `scope()` takes a setting whose seal is right and reads pg_locks otherwise: a session that
-- clears, changes or copies the setting gains nothing, it only pays the old price.
-- The guard's functions belong to the superuser that applied 0021: a superuser replaces them, once.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0023 replaces the guard''s functions, which a superuser owns: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
SELECT stations_guard.enter_maintenance('migration 0023: seal the bound read scope');

-- Two random keys (the inner and the outer of NMAC over SHA-256), never granted to anyone.
CREATE TABLE stations_guard.seal_keys (
    inner_key bytea NOT NULL,
    outer_key bytea NOT NULL,
    single    boolean NOT NULL DEFAULT true UNIQUE CHECK (single)
);
REVOKE ALL ON stations_guard.seal_keys FROM PUBLIC;
INSERT INTO stations_guard.seal_keys (inner_key, outer_key)
SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')),
       sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));

-- The seal of `scope` in this backend's current transaction (the epoch, not a text a session's
-- TimeZone or DateStyle would change).
CREATE FUNCTION stations_guard.seal(scope text) RETURNS text
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT encode(sha256(k.outer_key || sha256(k.inner_key || convert_to(
               pg_backend_pid()::text || '/' || extract(epoch FROM transaction_timestamp())::text || '/' || scope,
               'UTF8'))), 'hex')
    FROM stations_guard.seal_keys k
    $$;
REVOKE ALL ON FUNCTION stations_guard.seal(text) FROM PUBLIC;

-- The scope as the transaction's advisory lock says it (0021's `scope()`): the authority.
CREATE FUNCTION stations_guard.locked_scope() RETURNS text
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
        bound text := current_setting('stations_guard.bound', true);
        claimed text := split_part(bound, '/', 1);
    BEGIN
        IF bound = claimed || '/' || stations_guard.seal(claimed) THEN
            RETURN claimed;
        END IF;
        RETURN stations_guard.locked_scope();
    END
    $$;

CREATE OR REPLACE FUNCTION stations_guard.bind_scope(scope text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        key integer := stations_guard.scope_key(scope);
    BEGIN
        IF key IS NULL THEN
            RAISE EXCEPTION 'not a read scope: %', scope USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727
                   AND objsubid = 2) THEN
            RAISE EXCEPTION 'the read scope of this transaction is bound already'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM pg_advisory_xact_lock_shared(727, key);
        PERFORM set_config('stations_guard.bound', scope || '/' || stations_guard.seal(scope), true);
        RETURN scope;
    END
    $$;

SELECT stations_guard.leave_maintenance();
