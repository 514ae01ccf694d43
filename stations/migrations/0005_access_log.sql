-- Auditors read across every district, personal pseudonyms included: their reads of the
-- endpoints that show records are themselves recorded.
CREATE TABLE audit.access_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    subject   text NOT NULL,
    role      text NOT NULL,
    district  text NOT NULL,
    path      text NOT NULL,
    query     text NOT NULL
);
CREATE INDEX access_log_district ON audit.access_log (district, at);
