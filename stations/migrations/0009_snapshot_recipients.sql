-- An as-of read copies from a snapshot only the counted recipients its replayed services name
-- (projections/as_of.py): found by recipient, not by reading every recipient the snapshot holds.
DROP INDEX snapshots.service_recipients_district_snapshot_position_idx;
CREATE INDEX service_recipients_by_recipient ON snapshots.service_recipients
    (district, snapshot_position, recipient_ref);
