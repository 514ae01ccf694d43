-- A long stream's standing records in compact form at a version (issue 38: a past state of an
-- aggregate with 10,000 events read cold in under 100 ms), written by the projection worker every
-- so many events of the stream (`projections/stream_snapshots.py`). Derived from the events alone,
-- never events themselves: a row of another `form` is ignored, and any row may be deleted.
CREATE TABLE snapshots.streams (
    district  text NOT NULL,
    stream    uuid NOT NULL,
    version   bigint NOT NULL,
    position  bigint NOT NULL,
    form      integer NOT NULL,
    state     jsonb NOT NULL,
    PRIMARY KEY (district, stream, version)
);
CREATE INDEX streams_at ON snapshots.streams (district, stream, position);

GRANT SELECT ON snapshots.streams TO stations_reader;
ALTER TABLE snapshots.streams ENABLE ROW LEVEL SECURITY;
CREATE POLICY district_scope ON snapshots.streams TO stations_reader
    USING ((SELECT stations_guard.scope()) IN (district, '*'));
