-- The district's and the city's duties beyond day-to-day records (the guide, section 四): annual
-- purchase plans and their filing, provider exits, the figures collected from linked projects,
-- the provider's progress notes, and the city's training sessions. Same rules as 0002/0003/0006:
-- every row keyed by district (the city's own rows by 'city'), row-level security for readers,
-- and a snapshot table of the same shape for as-of reads.

-- One row per district and year: the plan's current version, and the last version filed.
CREATE TABLE reports.plans (
    district        text COLLATE "C" NOT NULL,
    year            integer NOT NULL,
    version         integer NOT NULL,
    status          text NOT NULL CHECK (status IN ('draft', 'submitted', 'filed', 'returned')),
    content         jsonb NOT NULL,
    drafted_at      timestamptz NOT NULL,
    submitted_at    timestamptz,
    decided_at      timestamptz,
    reason          text,
    filed_version   integer,
    filed_content   jsonb,
    filed_at        timestamptz,
    PRIMARY KEY (district, year)
);

-- Each step of a plan's lifecycle, in order: its history.
CREATE TABLE reports.plan_steps (
    district    text COLLATE "C" NOT NULL,
    position    bigint NOT NULL,
    year        integer NOT NULL,
    version     integer NOT NULL,
    step        text NOT NULL CHECK (step IN ('drafted', 'submitted', 'filed', 'returned')),
    record_id   text NOT NULL,
    actor       text NOT NULL,
    actor_role  text NOT NULL,
    at          timestamptz NOT NULL,
    reason      text,
    PRIMARY KEY (district, position)
);
CREATE INDEX plan_steps_year ON reports.plan_steps (district, year, position);

-- A provider's exit ends its project early: the project's effective end.
ALTER TABLE reports.projects
    ADD COLUMN exited_on date, ADD COLUMN exit_condition text, ADD COLUMN exit_reason text,
    ADD COLUMN successor_project text, ADD COLUMN exit_record text;
ALTER TABLE snapshots.projects
    ADD COLUMN exited_on date, ADD COLUMN exit_condition text, ADD COLUMN exit_reason text,
    ADD COLUMN successor_project text, ADD COLUMN exit_record text;

-- Figures a station collects from its town's linked projects: never part of its own figures.
CREATE TABLE reports.linked_figures (
    district       text COLLATE "C" NOT NULL,
    record_id      text NOT NULL,
    town           text COLLATE "C" NOT NULL,
    period         text COLLATE "C" NOT NULL,
    name           text NOT NULL,
    purchaser      text NOT NULL,
    domain         text NOT NULL,
    people_served  integer NOT NULL,
    person_times   integer,
    amount         numeric(16, 2) NOT NULL,
    project        text,
    collected_on   date NOT NULL,
    PRIMARY KEY (district, record_id)
);

-- The provider's progress notes to the town, and the problems they raise.
CREATE TABLE reports.progress_notes (
    district     text COLLATE "C" NOT NULL,
    record_id    text NOT NULL,
    town         text COLLATE "C" NOT NULL,
    project      text,
    reported_on  date NOT NULL,
    period       text COLLATE "C" NOT NULL,
    summary      text NOT NULL,
    PRIMARY KEY (district, record_id)
);

CREATE TABLE reports.progress_problems (
    district     text COLLATE "C" NOT NULL,
    record_id    text NOT NULL,  -- the progress note that raised it
    key          text NOT NULL,
    town         text COLLATE "C" NOT NULL,
    project      text,
    raised_on    date NOT NULL,
    description  text NOT NULL,
    resolved_on  date,
    resolved_by  text,
    PRIMARY KEY (district, record_id, key)
);

-- The city's training sessions (district = 'city'), one row per attending town, with the town's
-- district. Voided sessions are kept with the position that voided them, so that a district's
-- report as of a past moment sees the sessions the city's log held then.
CREATE TABLE reports.trainings (
    district       text COLLATE "C" NOT NULL,
    record_id      text NOT NULL,
    town           text COLLATE "C" NOT NULL,
    town_district  text COLLATE "C" NOT NULL,
    held_on        date NOT NULL,
    year           integer NOT NULL,
    topic          text NOT NULL,
    audiences      jsonb NOT NULL,
    attendees      integer NOT NULL,
    position       bigint NOT NULL,
    voided_at      bigint,
    PRIMARY KEY (district, record_id, town)
);
CREATE INDEX trainings_town_district ON reports.trainings (town_district, year);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plans', 'plan_steps', 'linked_figures', 'progress_notes', 'progress_problems',
                             'trainings']
    LOOP
        EXECUTE format('GRANT SELECT ON reports.%I TO stations_reader', t);
        EXECUTE format('ALTER TABLE reports.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY district_scope ON reports.%I TO stations_reader'
                       ' USING (reports.in_scope(district))', t);
        EXECUTE format('CREATE TABLE snapshots.%I (snapshot_position bigint NOT NULL, LIKE reports.%I)', t, t);
        EXECUTE format('CREATE INDEX ON snapshots.%I (district, snapshot_position)', t);
        EXECUTE format('GRANT SELECT ON snapshots.%I TO stations_reader', t);
        EXECUTE format('ALTER TABLE snapshots.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY district_scope ON snapshots.%I TO stations_reader'
                       ' USING (reports.in_scope(district))', t);
    END LOOP;
END
$$;

-- The city's training rows are the city's (district = 'city'), which a district's reader may not
-- see; the attendance of the district's own towns is what its report shows of them. This function
-- hands a reader exactly that, and only for a district in the reader's scope. With `as_of`, only
-- the sessions the city's log held at that moment (and had not voided by then).
CREATE FUNCTION reports.training_attendance(of_district text, of_year integer, as_of timestamptz)
    RETURNS TABLE (record_id text, town text, held_on date, topic text, attendees integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
    #variable_conflict use_column
    DECLARE
        up_to bigint := 9223372036854775807;
    BEGIN
        IF NOT reports.in_scope(of_district) THEN
            RETURN;
        END IF;
        IF as_of IS NOT NULL THEN
            -- The city's store is created at start-up, after the migrations: named here, not bound.
            EXECUTE 'SELECT coalesce(max(position), 0) FROM eventstore.dcity_chain WHERE recorded_at <= $1'
                INTO up_to USING as_of;
        END IF;
        RETURN QUERY
            SELECT t.record_id, t.town::text, t.held_on, t.topic, t.attendees FROM reports.trainings t
            WHERE t.district = 'city' AND t.town_district = of_district AND t.year = of_year
              AND t.position <= up_to AND (t.voided_at IS NULL OR t.voided_at > up_to)
            ORDER BY t.held_on, t.record_id, t.town;
    END
    $$;
REVOKE ALL ON FUNCTION reports.training_attendance(text, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reports.training_attendance(text, integer, timestamptz) TO stations_reader;
