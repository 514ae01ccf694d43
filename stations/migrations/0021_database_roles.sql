-- Three roles, so that the service's own login cannot rewrite what was recorded (docs/database-roles.md):
--   stations_owner   owns every table and runs the migrations; the service never logs in as it.
--   stations_writer  the service and its worker: INSERT and SELECT only on the event stores and
--                    checkpoints; the projections' tables it rebuilds (reports, snapshots) and the
--                    registry it keeps (tenants) it may change.
--   stations_reader  the API's reads, under FORCEd row-level security, scoped by
--                    stations_guard.bind_scope for one transaction, which the session cannot rebind.
-- An event trigger refuses DDL on the event stores, the checkpoints and the access log outside a
-- maintenance that is entered by name and recorded (stations_guard.enter_maintenance).
-- Roles are cluster-wide: created when missing, never dropped. Applied once by a superuser
-- (event triggers and the grants on pg_catalog's advisory locks need one).
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0021 creates roles and an event trigger: apply it once as a superuser'
            ' (docs/database-roles.md)';
    END IF;
END
$$;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['stations_owner', 'stations_writer', 'stations_reader'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        EXCEPTION WHEN duplicate_object THEN NULL;
        END;
    END LOOP;
END
$$;
-- The service's reads take the reader's role for a transaction (`SET LOCAL ROLE`).
GRANT stations_reader TO stations_writer;

CREATE SCHEMA stations_guard;
GRANT USAGE ON SCHEMA stations_guard TO stations_owner, stations_writer, stations_reader;

-- Every maintenance entered and left: who, when, why, and in which session (it lasts until left
-- or until the session ends). Append-only: nobody may change or remove a line.
CREATE TABLE stations_guard.maintenance (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    who           text NOT NULL DEFAULT session_user,
    why           text NOT NULL CHECK (btrim(why) <> ''),
    entering      boolean NOT NULL,
    backend_pid   integer NOT NULL,
    backend_start timestamptz NOT NULL
);
CREATE INDEX maintenance_of_session ON stations_guard.maintenance (backend_pid, backend_start, id);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON stations_guard.maintenance
    FOR EACH ROW EXECUTE FUNCTION eventstore.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON stations_guard.maintenance
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore.refuse_change();
GRANT SELECT ON stations_guard.maintenance TO stations_owner, stations_writer;

CREATE FUNCTION stations_guard.in_maintenance() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT coalesce((SELECT m.entering FROM stations_guard.maintenance m
                     JOIN pg_stat_activity s ON s.pid = pg_backend_pid()
                     WHERE m.backend_pid = s.pid AND m.backend_start = s.backend_start
                     ORDER BY m.id DESC LIMIT 1), false)
    $$;

CREATE FUNCTION stations_guard.record_maintenance(why text, entering boolean) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    INSERT INTO stations_guard.maintenance (why, entering, backend_pid, backend_start)
    SELECT why, entering, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
    RETURNING id
    $$;

-- Until `leave_maintenance` or the end of the session, this session may alter and drop the
-- guarded tables; the line it records says who and why.
CREATE FUNCTION stations_guard.enter_maintenance(why text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT stations_guard.record_maintenance(why, true) $$;

CREATE FUNCTION stations_guard.leave_maintenance() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT stations_guard.record_maintenance('left', false) $$;

REVOKE ALL ON FUNCTION stations_guard.record_maintenance(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION stations_guard.enter_maintenance(text), stations_guard.leave_maintenance() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.enter_maintenance(text), stations_guard.leave_maintenance(),
    stations_guard.in_maintenance() TO stations_owner;

-- The tables no DDL may touch outside a maintenance: the event stores (every object of the
-- schema), the checkpoints, the access log and this guard itself. A trigger or a policy is named
-- by its table ("append_only on audit.checkpoints"), its schema not always given.
CREATE FUNCTION stations_guard.guarded(schema_name text, identity text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(schema_name, '') IN ('eventstore', 'stations_guard')
        OR coalesce(identity, '') ~ '(^| on )(eventstore|stations_guard)\.'
        OR coalesce(identity, '') ~ '(^| on )audit\.(checkpoints|access_log)($|_)'
    $$;

CREATE FUNCTION stations_guard.refuse_ddl() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        touched text;
    BEGIN
        SELECT min(c.object_identity) INTO touched FROM pg_event_trigger_ddl_commands() c
            WHERE stations_guard.guarded(c.schema_name, c.object_identity);
        IF touched IS NOT NULL AND NOT stations_guard.in_maintenance() THEN
            RAISE EXCEPTION '% on % refused outside a maintenance (stations_guard.enter_maintenance)', tg_tag, touched
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END
    $$;

CREATE FUNCTION stations_guard.refuse_drop() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        touched text;
    BEGIN
        SELECT min(d.object_identity) INTO touched FROM pg_event_trigger_dropped_objects() d
            WHERE stations_guard.guarded(d.schema_name, d.object_identity) AND NOT d.is_temporary;
        IF touched IS NULL THEN
            RETURN;
        END IF;
        IF to_regclass('stations_guard.maintenance') IS NULL OR NOT stations_guard.in_maintenance() THEN
            RAISE EXCEPTION '% of % refused outside a maintenance (stations_guard.enter_maintenance)', tg_tag, touched
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END
    $$;

-- The checkpoints and the access log are append-only like the events, but for a maintenance.
CREATE FUNCTION stations_guard.refuse_change_but_in_maintenance() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    BEGIN
        IF stations_guard.in_maintenance() THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION '%.% is append-only: % refused outside a maintenance', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['checkpoints', 'access_log'] LOOP
        EXECUTE format('CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit.%I'
                       ' FOR EACH ROW EXECUTE FUNCTION stations_guard.refuse_change_but_in_maintenance()', t);
        EXECUTE format('CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit.%I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION stations_guard.refuse_change_but_in_maintenance()', t);
    END LOOP;
END
$$;

-- A write takes its store's events table's lock (one writer at a time: positions in commit order),
-- which LOCK TABLE grants only to those who may UPDATE or DELETE: the writer takes it through this.
CREATE FUNCTION stations_guard.lock_store(events regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid = events AND n.nspname = 'eventstore' AND c.relname ~ '^d([0-9]{6}|city)_events$') THEN
            RAISE EXCEPTION 'not an event store: %', events USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', events);
    END
    $$;
ALTER FUNCTION stations_guard.lock_store(regclass) OWNER TO stations_owner;
REVOKE ALL ON FUNCTION stations_guard.lock_store(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.lock_store(regclass) TO stations_writer;

-- The read scope, bound for one transaction by a transaction-level advisory lock the session
-- cannot take itself (the two-integer lock functions are revoked from PUBLIC below) nor release
-- before the transaction ends: `set_config('stations.scope', ...)` binds nothing, and a second
-- `bind_scope` in the same transaction is refused.
CREATE FUNCTION stations_guard.scope_key(scope text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE WHEN scope = '*' THEN 1000000000 WHEN scope = 'city' THEN 1000000001
                WHEN scope ~ '^[0-9]{6}$' THEN scope::integer END
    $$;

CREATE FUNCTION stations_guard.scope() RETURNS text
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT CASE WHEN count(*) = 1 THEN
                CASE min(objid::bigint) WHEN 1000000000 THEN '*' WHEN 1000000001 THEN 'city'
                     ELSE lpad(min(objid::bigint)::text, 6, '0') END END
    FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 727 AND objsubid = 2 AND granted
    $$;

CREATE FUNCTION stations_guard.bind_scope(scope text) RETURNS text
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
        RETURN scope;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.bind_scope(text), stations_guard.scope() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.bind_scope(text), stations_guard.scope()
    TO stations_reader, stations_writer, stations_owner;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_try_advisory_lock',
                             'pg_try_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared',
                             'pg_try_advisory_xact_lock', 'pg_try_advisory_xact_lock_shared'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION pg_catalog.%I(integer, integer) FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.%I(integer, integer) TO stations_owner, stations_writer', f);
    END LOOP;
END
$$;

-- Any policy still naming it (and any later one) reads the bound scope too.
CREATE OR REPLACE FUNCTION reports.in_scope(district text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT stations_guard.scope() IN (district, '*') $$;

-- Ownership, grants and row-level security of every table of the service's schemas: run here
-- and after every later migration (post-apply.sql), so a new table is settled the same way.
CREATE FUNCTION stations_guard.settle() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    DECLARE
        t record;
        entered boolean := false;
        scope_of text;
    BEGIN
        FOR t IN SELECT c.oid::regclass AS name, n.nspname AS schema, c.relname, c.relkind, c.relrowsecurity,
                        c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname IN ('tenants', 'reports', 'snapshots', 'audit', 'eventstore')
                   AND c.relkind IN ('r', 'p', 'S')
        LOOP
            IF (t.owner <> 'stations_owner' OR t.relrowsecurity AND NOT t.relforcerowsecurity)
               AND stations_guard.guarded(t.schema, t.name::text) AND NOT entered THEN
                PERFORM stations_guard.enter_maintenance('settle ownership and row-level security after migrations');
                entered := true;
            END IF;
            IF t.owner <> 'stations_owner' AND t.relkind <> 'S' THEN
                EXECUTE format('ALTER TABLE %s OWNER TO stations_owner', t.name);
            END IF;
            IF t.relkind = 'S' THEN
                EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO stations_writer', t.name);
                CONTINUE;
            END IF;
            IF t.schema IN ('eventstore') OR t.name::text IN ('audit.checkpoints', 'audit.access_log') THEN
                EXECUTE format('GRANT SELECT, INSERT ON %s TO stations_writer', t.name);
            ELSE
                EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO stations_writer', t.name);
            END IF;
            IF t.relrowsecurity THEN
                IF NOT t.relforcerowsecurity THEN
                    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t.name);
                END IF;
                IF NOT EXISTS (SELECT FROM pg_policies p WHERE p.schemaname = t.schema AND p.tablename = t.relname
                               AND p.policyname = 'service') THEN
                    EXECUTE format('CREATE POLICY service ON %s TO stations_owner, stations_writer'
                                   ' USING (true) WITH CHECK (true)', t.name);
                END IF;
                scope_of := CASE WHEN t.schema = 'eventstore'
                                 THEN quote_literal(substring(t.relname FROM '^d(.*)_(events|records|chain)$'))
                                 ELSE 'district' END;
                IF EXISTS (SELECT FROM pg_policies p WHERE p.schemaname = t.schema AND p.tablename = t.relname
                           AND p.policyname = 'district_scope' AND p.qual NOT LIKE '%stations_guard.scope()%') THEN
                    EXECUTE format('ALTER POLICY district_scope ON %s USING ((SELECT stations_guard.scope()) IN (%s, ''*''))',
                                   t.name, scope_of);
                END IF;
            END IF;
        END LOOP;
        IF entered THEN
            PERFORM stations_guard.leave_maintenance();
        END IF;
    END
    $$;
REVOKE ALL ON FUNCTION stations_guard.settle() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stations_guard.settle() TO stations_owner;

-- The library creates its composite type beside a store's first table, in a transaction of its
-- own, which the guard would refuse: made here once, the library's CREATE finds it made.
DO $$
BEGIN
    CREATE TYPE eventstore.stored_event_uuid AS (originator_id uuid, originator_version bigint, topic text, state bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

DO $$ BEGIN PERFORM stations_guard.settle(); END $$;
ALTER SCHEMA tenants OWNER TO stations_owner;
ALTER SCHEMA reports OWNER TO stations_owner;
ALTER SCHEMA snapshots OWNER TO stations_owner;
ALTER SCHEMA audit OWNER TO stations_owner;
ALTER SCHEMA eventstore OWNER TO stations_owner;
GRANT USAGE ON SCHEMA tenants, reports, snapshots, audit, eventstore TO stations_writer;

CREATE EVENT TRIGGER stations_guard_ddl ON ddl_command_end EXECUTE FUNCTION stations_guard.refuse_ddl();
CREATE EVENT TRIGGER stations_guard_drop ON sql_drop EXECUTE FUNCTION stations_guard.refuse_drop();
