-- Append-only event stores, and the signed checkpoints of each district's log.
CREATE SCHEMA IF NOT EXISTS audit;

-- Attached to every district's events, record index and chain tables: nobody, the service
-- included, may change or remove what was recorded.
CREATE FUNCTION eventstore.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'the event store is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- A checkpoint commits to a district's log up to `tree_size` events (the last at `position`)
-- with the RFC 6962 Merkle root of their leaf hashes and the chain value after the last one,
-- signed with the service's Ed25519 key over the text docs/audit.md defines.
CREATE TABLE audit.checkpoints (
    district    text NOT NULL,
    tree_size   bigint NOT NULL CHECK (tree_size >= 0),
    position    bigint NOT NULL,
    root        bytea NOT NULL,
    chain_head  bytea NOT NULL,
    made_at     timestamptz NOT NULL,
    reason      text NOT NULL,
    key_id      text NOT NULL,
    signature   bytea NOT NULL,
    PRIMARY KEY (district, tree_size)
);

GRANT USAGE ON SCHEMA audit TO stations_reader;
GRANT SELECT ON audit.checkpoints TO stations_reader;
ALTER TABLE audit.checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY district_scope ON audit.checkpoints TO stations_reader USING (reports.in_scope(district));
