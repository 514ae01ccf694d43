-- The registry of districts and towns. A rename, a merger or a 镇 turned into a 街道 is a new
-- row valid from its date, never an edit: reports of the past keep the names of the past.
CREATE SCHEMA IF NOT EXISTS tenants;
CREATE SCHEMA IF NOT EXISTS eventstore;

CREATE TABLE tenants.districts (
    code        text NOT NULL CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL CHECK (name <> ''),
    valid_from  date,
    valid_to    date,
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE UNIQUE INDEX districts_version ON tenants.districts (code, coalesce(valid_from, '0001-01-01'));

CREATE TABLE tenants.towns (
    code        text NOT NULL CHECK (code ~ '^[0-9]{9}$'),
    district    text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('镇', '街道')),
    valid_from  date,
    valid_to    date,
    note        text,
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    CHECK (left(code, 6) = district)
);
CREATE UNIQUE INDEX towns_version ON tenants.towns (code, coalesce(valid_from, '0001-01-01'));
