-- The counted recipients: a row per district, period and recipient holding their active
-- services per figure of their towns ("town/dim/key" -> services, projections/service_counts.py),
-- no longer a row per recipient and figure (a dozen or more each, the district's figures among
-- them): those rows were most of the projection's time and of the report tables' size.
CREATE TEMPORARY TABLE recipients_counted ON COMMIT DROP AS
SELECT district, recipient_ref, period, jsonb_object_agg(town || '/' || dim || '/' || key, services) AS counts
FROM reports.service_recipients WHERE town <> '' AND services > 0
GROUP BY district, recipient_ref, period;

TRUNCATE reports.service_recipients;
DROP INDEX reports.service_recipients_by_recipient;
ALTER TABLE reports.service_recipients
    DROP CONSTRAINT service_recipients_pkey,
    DROP COLUMN town, DROP COLUMN dim, DROP COLUMN key, DROP COLUMN services,
    ADD COLUMN counts jsonb NOT NULL,
    ADD PRIMARY KEY (district, recipient_ref, period);  -- a snapshot reads a recipient's rows by the first two
INSERT INTO reports.service_recipients (district, recipient_ref, period, counts)
SELECT district, recipient_ref, period, counts FROM recipients_counted;

-- Snapshots keep the new rows as deltas, the same way (projections/snapshots.py). The snapshots
-- taken so far are dropped, as in 0010: they are only a cache, and a delta needs the ones before
-- it taken the same way. Until the worker takes new ones, an as-of read replays from the start.
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
DROP INDEX snapshots.service_recipients_by_recipient;
ALTER TABLE snapshots.service_recipients
    DROP COLUMN town, DROP COLUMN dim, DROP COLUMN key, DROP COLUMN services,
    ADD COLUMN counts jsonb NOT NULL;
-- A recipient's latest row of a period at or before a snapshot: what an as-of read looks up for
-- each recipient its replay names, and what a snapshot compares the live rows with.
CREATE INDEX service_recipients_by_recipient ON snapshots.service_recipients
    (district, recipient_ref, period, snapshot_position);
