-- A record written by a level above its owner names the owner (its event's on_behalf_of, issue 31):
-- kept beside the record's period, so a report counts each town's records entered on its behalf.
-- Rows projected before stay NULL (their events carry no such key), as a rebuild would make them.
ALTER TABLE reports.record_periods ADD COLUMN on_behalf_of text;
CREATE INDEX record_periods_on_behalf ON reports.record_periods (district, period, position) WHERE on_behalf_of IS NOT NULL;
