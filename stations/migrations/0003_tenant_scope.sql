-- Reads of the API run as `stations_reader`, scoped per transaction by the setting
-- `stations.scope`: a district code, or '*' for the city, auditors and administrators. Row-level
-- security then hides every other district's report rows and events, even from a query that
-- forgets its own filter. The service's own login role owns the tables and is not affected.
DO $$
BEGIN
    CREATE ROLE stations_reader NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;
GRANT stations_reader TO CURRENT_USER;

CREATE FUNCTION reports.in_scope(district text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('stations.scope', true), '') IN (district, '*') $$;

GRANT USAGE ON SCHEMA reports, tenants, eventstore TO stations_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA reports, tenants TO stations_reader;
GRANT EXECUTE ON FUNCTION reports.in_scope(text) TO stations_reader;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tracking', 'service_figures', 'service_recipients', 'fund_spending', 'projects',
                             'evaluations', 'inspections', 'station_facts', 'record_periods', 'report_states',
                             'report_versions']
    LOOP
        EXECUTE format('ALTER TABLE reports.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY district_scope ON reports.%I TO stations_reader'
                       ' USING (reports.in_scope(district))', t);
    END LOOP;
END
$$;
