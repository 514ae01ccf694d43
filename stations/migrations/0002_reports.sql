-- The report tables the projection worker maintains from the district event logs. Every
-- row is keyed by district; a district's rows change only in a transaction that also moves
-- its row in reports.tracking, so a crash neither loses nor double-counts an event.
-- Key columns are codes and ids compared byte for byte: COLLATE "C" keeps their indexes and
-- sorts fast (a linguistic collation costs several times more for no meaning here).
CREATE SCHEMA IF NOT EXISTS reports;

CREATE TABLE reports.tracking (
    district  text PRIMARY KEY,
    position  bigint NOT NULL DEFAULT 0
);

-- Service figures by scope: town = '' is the whole district. dim/key: ('total', ''),
-- ('domain', code), ('recipient_category', code), ('service_type', code), ('month', 'YYYY-MM'),
-- ('village', name).
CREATE TABLE reports.service_figures (
    district      text COLLATE "C" NOT NULL,
    period        text COLLATE "C" NOT NULL,
    town          text COLLATE "C" NOT NULL,
    dim           text COLLATE "C" NOT NULL,
    key           text COLLATE "C" NOT NULL,
    person_times  bigint NOT NULL DEFAULT 0,
    hours         numeric(16, 2) NOT NULL DEFAULT 0,
    recipients    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (district, period, town, dim, key)
);

-- How many active services each recipient has in each figure: the first one counts the
-- recipient in, the last one voided counts them out.
CREATE TABLE reports.service_recipients (
    district       text COLLATE "C" NOT NULL,
    period         text COLLATE "C" NOT NULL,
    town           text COLLATE "C" NOT NULL,
    dim            text COLLATE "C" NOT NULL,
    key            text COLLATE "C" NOT NULL,
    recipient_ref  text COLLATE "C" NOT NULL,
    services       integer NOT NULL,
    PRIMARY KEY (district, period, town, dim, key, recipient_ref)
);

CREATE TABLE reports.fund_spending (
    district  text COLLATE "C" NOT NULL,
    period    text COLLATE "C" NOT NULL,
    town      text COLLATE "C" NOT NULL,
    project   text COLLATE "C" NOT NULL,
    source    text COLLATE "C" NOT NULL,
    amount    numeric(16, 2) NOT NULL DEFAULT 0,
    spends    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (district, period, town, project, source)
);

CREATE TABLE reports.projects (
    district        text NOT NULL,
    project         text NOT NULL,
    record_id       text NOT NULL,
    town            text NOT NULL,
    role            text NOT NULL,
    name            text NOT NULL,
    provider        text NOT NULL,
    method          text NOT NULL,
    amount          numeric(16, 2) NOT NULL,
    contract_start  date NOT NULL,
    contract_end    date NOT NULL,
    budget          jsonb NOT NULL,
    PRIMARY KEY (district, project)
);

CREATE TABLE reports.evaluations (
    district       text NOT NULL,
    record_id      text NOT NULL,
    project        text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('self', 'final')),
    contract_year  integer NOT NULL,
    on_date        date NOT NULL,
    score          numeric(5, 2),
    PRIMARY KEY (district, record_id)
);

CREATE TABLE reports.inspections (
    district           text NOT NULL,
    record_id          text NOT NULL,
    town               text NOT NULL,
    project            text,
    occurred_on        date NOT NULL,
    period             text NOT NULL,
    kind               text NOT NULL,
    by_level           text NOT NULL,
    issues_found       boolean NOT NULL,
    rectification_due  date,
    rectified_on       date,
    rectified_by       text,
    PRIMARY KEY (district, record_id)
);

-- The station records that decide compliance; kind: established, signboard, equipment,
-- staff_assigned, staff_released, rules.
CREATE TABLE reports.station_facts (
    district   text NOT NULL,
    record_id  text NOT NULL,
    town       text NOT NULL,
    kind       text NOT NULL,
    key        text,
    on_date    date NOT NULL,
    detail     text,
    PRIMARY KEY (district, record_id)
);
CREATE INDEX station_facts_town ON reports.station_facts (district, town);

-- Every record with the period its business date falls in: what a submitted report's later
-- adjustments are listed from.
CREATE TABLE reports.record_periods (
    district     text COLLATE "C" NOT NULL,
    position     bigint NOT NULL,
    record_id    text NOT NULL,
    record_type  text NOT NULL,
    period       text COLLATE "C" NOT NULL,
    town         text,
    PRIMARY KEY (district, position)
);
CREATE INDEX record_periods_period ON reports.record_periods (district, period, position);

-- The reporting chain: one row per report (town = '' for the district's own report).
CREATE TABLE reports.report_states (
    district      text NOT NULL,
    period        text NOT NULL,
    town          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('submitted', 'approved', 'returned')),
    submitted_at  timestamptz,
    decided_at    timestamptz,
    reason        text,
    PRIMARY KEY (district, period, town)
);

-- Figures frozen when a report was submitted, and when it was approved.
CREATE TABLE reports.report_versions (
    district     text NOT NULL,
    period       text NOT NULL,
    town         text NOT NULL,
    version      text NOT NULL CHECK (version IN ('submitted', 'approved')),
    position     bigint NOT NULL,
    figures      jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (district, period, town, version)
);
