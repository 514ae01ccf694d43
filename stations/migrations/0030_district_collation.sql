-- One collation for `district` in every report and snapshot table: "C", which the tables made
-- since 0008 have. Citus mode distributes these tables on `district` in one co-located group
-- (stations/citus.py), and Citus co-locates only columns of one collation. The codes are digits,
-- so no order or comparison changes; each table's indexes on the column are rebuilt, no row
-- rewritten. PostgreSQL alters no column a policy names: each table's policies are made again.
DO $$
DECLARE
    t regclass;
    p pg_catalog.pg_policies;
    kept pg_catalog.pg_policies[];
BEGIN
    FOR t IN
        SELECT a.attrelid::regclass FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('reports', 'snapshots') AND c.relkind = 'r' AND a.attname = 'district'
          AND NOT a.attisdropped AND a.attcollation <> 'pg_catalog."C"'::regcollation
        ORDER BY 1
    LOOP
        kept := ARRAY(SELECT pol FROM pg_policies pol WHERE format('%I.%I', pol.schemaname, pol.tablename)::regclass = t);
        FOREACH p IN ARRAY kept LOOP
            EXECUTE format('DROP POLICY %I ON %s', p.policyname, t);
        END LOOP;
        EXECUTE format('ALTER TABLE %s ALTER COLUMN district TYPE text COLLATE "C"', t);
        FOREACH p IN ARRAY kept LOOP
            EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s USING (%s)%s', p.policyname, t, p.permissive, p.cmd,
                           (SELECT string_agg(quote_ident(r), ', ') FROM unnest(p.roles) r), p.qual,
                           CASE WHEN p.with_check IS NULL THEN '' ELSE format(' WITH CHECK (%s)', p.with_check) END);
        END LOOP;
    END LOOP;
END
$$;
