-- Snapshots of each district's report tables, taken by the projection worker every so many
-- events, so that an as-of read replays only the events after the nearest snapshot.
CREATE SCHEMA IF NOT EXISTS snapshots;

CREATE TABLE snapshots.taken (
    district  text NOT NULL,
    position  bigint NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district, position)
);

GRANT USAGE ON SCHEMA snapshots TO stations_reader;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['service_figures', 'service_recipients', 'fund_spending', 'projects', 'evaluations',
                             'inspections', 'station_facts', 'record_periods', 'report_states', 'report_versions']
    LOOP
        EXECUTE format('CREATE TABLE snapshots.%I (snapshot_position bigint NOT NULL, LIKE reports.%I)', t, t);
        EXECUTE format('CREATE INDEX ON snapshots.%I (district, snapshot_position)', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['taken', 'service_figures', 'service_recipients', 'fund_spending', 'projects',
                             'evaluations', 'inspections', 'station_facts', 'record_periods', 'report_states',
                             'report_versions']
    LOOP
        EXECUTE format('GRANT SELECT ON snapshots.%I TO stations_reader', t);
        EXECUTE format('ALTER TABLE snapshots.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY district_scope ON snapshots.%I TO stations_reader'
                       ' USING (reports.in_scope(district))', t);
    END LOOP;
END
$$;
