-- A schema per event store (issue 36, part 1): a district's store moves from the prefixed tables
-- `eventstore.d<code>_events`, `_records`, `_chain` into its own schema `district_<code>` (the
-- city's into `city_store`) as `events`, `records`, `chain` (tenants/stores.py names them). The
-- tables are moved and renamed, never copied: no byte of an event changes, and their triggers,
-- indexes, owned sequence, grants and row-level security policies go with them. What named them
-- (the DDL guard, the writer's lock, `settle`, `heads`, the city's training attendance) is replaced
-- to name the new schemas. The guard's functions belong to the superuser that applied 0021: a superuser
-- replaces them, once (as 0023).
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'migration 0027 moves the event stores and replaces the guard''s functions: apply it once as a'
            ' superuser (docs/database-roles.md)';
    END IF;
END
$$;
DO $$ BEGIN PERFORM stations_guard.enter_maintenance('migration 0027: a schema per event store'); END $$;

-- A store's schema from its code, as tenants/stores.py names it (NULL for anything else).
CREATE OR REPLACE FUNCTION eventstore.store_schema(code text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN code = 'city' THEN 'city_store' WHEN code ~ '^[0-9]{6}$' THEN 'district_' || code END $$;

-- The store schemas are guarded as `eventstore` is: any object in them, and each schema itself.
CREATE OR REPLACE FUNCTION stations_guard.guarded(schema_name text, identity text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(schema_name, '') IN ('eventstore', 'stations_guard')
        OR coalesce(schema_name, '') ~ '^(district_[0-9]{6}|city_store)$'
        OR coalesce(identity, '') ~ '(^| on )(eventstore|stations_guard|district_[0-9]{6}|city_store)\.'
        OR coalesce(identity, '') ~ '^(district_[0-9]{6}|city_store)$'
        OR coalesce(identity, '') ~ '(^| on )audit\.(checkpoints|access_log)($|_)'
    $$;

-- Whatever is or holds an append-only table (its trigger's function is `eventstore.refuse_change`),
-- whatever its name now: a store's table moved to another schema, or its schema renamed, was out of
-- the guard's sight by name alone (DDL on it reports the new name).
CREATE OR REPLACE FUNCTION stations_guard.holds_append_only(classid oid, objid oid) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog
    AS $$
    SELECT EXISTS (SELECT FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
                   WHERE t.tgfoid = 'eventstore.refuse_change()'::regprocedure
                     AND (classid = 'pg_class'::regclass AND r.oid = objid
                          OR classid = 'pg_namespace'::regclass AND r.relnamespace = objid))
    $$;

CREATE OR REPLACE FUNCTION stations_guard.refuse_ddl() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    DECLARE
        touched text;
    BEGIN
        SELECT min(c.object_identity) INTO touched FROM pg_event_trigger_ddl_commands() c
            WHERE stations_guard.guarded(c.schema_name, c.object_identity)
               OR stations_guard.holds_append_only(c.classid, c.objid);
        IF touched IS NOT NULL AND NOT stations_guard.in_maintenance() THEN
            RAISE EXCEPTION '% on % refused outside a maintenance (stations_guard.enter_maintenance)', tg_tag, touched
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END
    $$;

CREATE OR REPLACE FUNCTION stations_guard.lock_store(events regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid = events AND n.nspname ~ '^(district_[0-9]{6}|city_store)$'
                         AND c.relname = 'events') THEN
            RAISE EXCEPTION 'not an event store: %', events USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', events);
    END
    $$;

CREATE OR REPLACE FUNCTION eventstore.heads(stores text[]) RETURNS TABLE (store text, head bigint)
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY stores LOOP
        CONTINUE WHEN to_regclass(format('%I.chain', eventstore.store_schema(s))) IS NULL;
        store := s;
        EXECUTE format('SELECT coalesce(max(position), 0) FROM %I.chain', eventstore.store_schema(s)) INTO head;
        RETURN NEXT;
    END LOOP;
END
$$;

-- As 0008's, the city's chain named in its new schema.
CREATE OR REPLACE FUNCTION reports.training_attendance(of_district text, of_year integer, as_of timestamptz)
    RETURNS TABLE (record_id text, town text, held_on date, topic text, attendees integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
    #variable_conflict use_column
    DECLARE
        up_to bigint := 9223372036854775807;
    BEGIN
        IF NOT reports.in_scope(of_district) THEN
            RETURN;
        END IF;
        IF as_of IS NOT NULL THEN
            -- The city's store is created at start-up, after the migrations: named here, not bound.
            EXECUTE 'SELECT coalesce(max(position), 0) FROM city_store.chain WHERE recorded_at <= $1'
                INTO up_to USING as_of;
        END IF;
        RETURN QUERY
            SELECT t.record_id, t.town::text, t.held_on, t.topic, t.attendees FROM reports.trainings t
            WHERE t.district = 'city' AND t.town_district = of_district AND t.year = of_year
              AND t.position <= up_to AND (t.voided_at IS NULL OR t.voided_at > up_to)
            ORDER BY t.held_on, t.record_id, t.town;
    END
    $$;

-- Settled after every migration (post-apply.sql) as before, the store schemas' tables too: insert
-- only for the writer, each store's reader policy scoped to its own code.
CREATE OR REPLACE FUNCTION stations_guard.settle() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    DECLARE
        t record;
        entered boolean := false;
        scope_of text;
        is_store boolean;
    BEGIN
        FOR t IN SELECT c.oid::regclass AS name, n.nspname AS schema, c.relname, c.relkind, c.relrowsecurity,
                        c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE (n.nspname IN ('tenants', 'reports', 'snapshots', 'audit', 'eventstore')
                        OR n.nspname ~ '^(district_[0-9]{6}|city_store)$')
                   AND c.relkind IN ('r', 'p', 'S')
        LOOP
            is_store := t.schema ~ '^(district_[0-9]{6}|city_store)$';
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
            IF t.schema = 'eventstore' OR is_store OR t.name::text IN ('audit.checkpoints', 'audit.access_log') THEN
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
                scope_of := CASE WHEN is_store
                                 THEN quote_literal(CASE WHEN t.schema = 'city_store' THEN 'city'
                                                         ELSE substring(t.schema FROM '^district_(.*)$') END)
                                 WHEN t.schema = 'eventstore'
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

-- The owner creates a new district's store, its schema first (tenants/event_store.py).
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO stations_owner', current_database()); END $$;

-- Each store's three tables into its schema, renamed; then their indexes and sequence, whose
-- names began with the old table's, named as a new store's are.
DO $$
DECLARE
    t record;
    target text;
BEGIN
    FOR t IN SELECT c.relname, substring(c.relname FROM '^d([0-9]{6}|city)_') AS code,
                    substring(c.relname FROM '_(events|records|chain)$') AS kind
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'eventstore' AND c.relkind = 'r' AND c.relname ~ '^d([0-9]{6}|city)_(events|records|chain)$'
             ORDER BY 1
    LOOP
        target := eventstore.store_schema(t.code);
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION stations_owner', target);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO stations_writer, stations_reader', target);
        EXECUTE format('ALTER TABLE eventstore.%I SET SCHEMA %I', t.relname, target);
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', target, t.relname, t.kind);
    END LOOP;
    FOR t IN SELECT n.nspname, c.relname, CASE c.relkind WHEN 'i' THEN 'INDEX' ELSE 'SEQUENCE' END AS kind
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname ~ '^(district_[0-9]{6}|city_store)$' AND c.relkind IN ('i', 'S')
               AND c.relname ~ '^d([0-9]{6}|city)_'
    LOOP
        EXECUTE format('ALTER %s %I.%I RENAME TO %I', t.kind, t.nspname, t.relname,
                       regexp_replace(t.relname, '^d([0-9]{6}|city)_', ''));
    END LOOP;
END
$$;

-- The library's insert function, made beside every store's table and naming the last one made:
-- its insert is this service's own (tenants/event_store.py), and no new store makes it again.
DROP FUNCTION IF EXISTS eventstore.es_insert_events_uuid(eventstore.stored_event_uuid[]);

DO $$ BEGIN PERFORM stations_guard.leave_maintenance(); END $$;
