-- A snapshot keeps only the counted recipients that changed since the district's previous
-- snapshot (a zero for a row that has gone), no longer all of them (projections/snapshots.py):
-- copied whole, their rows grew with the square of the log.
--
-- The snapshots taken so far are dropped: they are only a cache, and a delta needs the ones
-- before it to have been taken the same way. Until the worker takes new ones (every
-- STATIONS_SNAPSHOT_EVERY events from now on), an as-of read replays from the start of the log.
-- record_periods, report_versions and plan_steps are no longer snapshotted (no as-of read reads
-- them); their snapshot tables stay, empty.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'snapshots'
    LOOP
        EXECUTE format('TRUNCATE snapshots.%I', t);
    END LOOP;
END
$$;

-- A recipient's rows across snapshots, the latest at or before a position found within them:
-- what an as-of read looks up for each recipient its replay names, and what a snapshot compares
-- the live rows with.
DROP INDEX snapshots.service_recipients_by_recipient;
CREATE INDEX service_recipients_by_recipient ON snapshots.service_recipients
    (district, recipient_ref, snapshot_position);

-- A snapshot reads the live rows of the recipients whose services changed since the previous one.
CREATE INDEX service_recipients_by_recipient ON reports.service_recipients (district, recipient_ref);
