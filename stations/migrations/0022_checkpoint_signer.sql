-- The signer (a process apart from the API, issue 27) signs the checkpoints report steps ask for:
-- the API records the step, asks here, and answers with the checkpoint once signed or says it is
-- pending. A request is removed once its checkpoint exists.
CREATE TABLE audit.checkpoint_requests (
    district  text NOT NULL,
    position  bigint NOT NULL,
    reason    text NOT NULL,
    asked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district, position)
);
CREATE INDEX checkpoint_requests_newest ON audit.checkpoint_requests (asked_at DESC);

-- Names this database in the witness directory: one directory may witness several databases (or
-- a database made again from scratch) without their checkpoints meeting.
CREATE TABLE audit.installation (
    id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    single  boolean NOT NULL DEFAULT true UNIQUE CHECK (single)
);
INSERT INTO audit.installation DEFAULT VALUES;
GRANT SELECT ON audit.installation TO stations_reader;

-- A reader sees the requests of its scope: `verify` names a report step's checkpoint as pending.
GRANT SELECT ON audit.checkpoint_requests TO stations_reader;
ALTER TABLE audit.checkpoint_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY district_scope ON audit.checkpoint_requests TO stations_reader USING (reports.in_scope(district));
