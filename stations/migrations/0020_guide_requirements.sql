-- What the guide requires that the report tables did not hold (issue 33): the sign's emblem,
-- position and style; fund lines by level; a district purchase's towns; a core project's key
-- recipients and the provider's credit code; the final evaluation's focus scores; the district's
-- register of villages and the funds it secures. Every row this migration finds was projected
-- from events stored before those rules existed: `before_rules` says so, and the projection
-- writes it for every row from now on.

ALTER TABLE reports.station_facts
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}', ADD COLUMN before_rules boolean NOT NULL DEFAULT true;
ALTER TABLE snapshots.station_facts
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}', ADD COLUMN before_rules boolean NOT NULL DEFAULT true;

-- lines: [{"source", "level", "amount"}] (budget stays the sum by source); towns: {"town": share}
-- of a district purchase for several towns, whose `town` is ''.
ALTER TABLE reports.projects
    ADD COLUMN lines jsonb, ADD COLUMN towns jsonb, ADD COLUMN credit_code text, ADD COLUMN key_recipients jsonb,
    ADD COLUMN before_rules boolean NOT NULL DEFAULT true;
ALTER TABLE snapshots.projects
    ADD COLUMN lines jsonb, ADD COLUMN towns jsonb, ADD COLUMN credit_code text, ADD COLUMN key_recipients jsonb,
    ADD COLUMN before_rules boolean NOT NULL DEFAULT true;
UPDATE reports.projects SET lines = (SELECT jsonb_agg(jsonb_build_object('source', b.key, 'level', 'own', 'amount', b.value)
                                                      ORDER BY b.key) FROM jsonb_each_text(budget) AS b);
UPDATE snapshots.projects SET lines = (SELECT jsonb_agg(jsonb_build_object('source', b.key, 'level', 'own', 'amount', b.value)
                                                        ORDER BY b.key) FROM jsonb_each_text(budget) AS b);
ALTER TABLE reports.projects ALTER COLUMN lines SET NOT NULL;
ALTER TABLE snapshots.projects ALTER COLUMN lines SET NOT NULL;

-- The credit code was recorded, optionally, all along: read from each contract's event, where the
-- district's store is on this server.
DO $$
DECLARE
    d text;
BEGIN
    FOR d IN SELECT DISTINCT district FROM reports.projects
    LOOP
        CONTINUE WHEN to_regclass(format('eventstore.%I', 'd' || d || '_events')) IS NULL;
        EXECUTE format(
            'WITH contracted AS (SELECT s ->> ''project'' AS project, s -> ''provider'' ->> ''credit_code'' AS code'
            '  FROM (SELECT convert_from(state, ''UTF8'')::jsonb AS s FROM eventstore.%I'
            '        WHERE topic LIKE ''%%:Project.Contracted'') AS e)'
            ' , live AS (UPDATE reports.projects p SET credit_code = c.code FROM contracted c'
            '            WHERE p.district = %L AND p.project = c.project)'
            ' UPDATE snapshots.projects p SET credit_code = c.code FROM contracted c'
            ' WHERE p.district = %L AND p.project = c.project',
            'd' || d || '_events', d, d);
    END LOOP;
END
$$;

ALTER TABLE reports.evaluations
    ADD COLUMN focus jsonb, ADD COLUMN before_rules boolean NOT NULL DEFAULT true;
ALTER TABLE snapshots.evaluations
    ADD COLUMN focus jsonb, ADD COLUMN before_rules boolean NOT NULL DEFAULT true;

-- Spending by fund line: a source may be drawn at two levels. Every line so far was the purchaser's own.
ALTER TABLE reports.fund_spending ADD COLUMN level text COLLATE "C" NOT NULL DEFAULT 'own';
ALTER TABLE reports.fund_spending DROP CONSTRAINT fund_spending_pkey,
    ADD PRIMARY KEY (district, period, town, project, source, level);
ALTER TABLE snapshots.fund_spending ADD COLUMN level text COLLATE "C" NOT NULL DEFAULT 'own';

-- The district's register of villages: one row per registered version.
CREATE TABLE reports.villages (
    district    text COLLATE "C" NOT NULL,
    record_id   text NOT NULL,
    town        text COLLATE "C" NOT NULL,
    village     text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date,
    aliases     jsonb NOT NULL,
    PRIMARY KEY (district, record_id)
);

-- The funds the district secures for a year: one row per allocation.
CREATE TABLE reports.budget_allocations (
    district      text COLLATE "C" NOT NULL,
    record_id     text NOT NULL,
    year          integer NOT NULL,
    lines         jsonb NOT NULL,
    document      text NOT NULL,
    allocated_on  date NOT NULL,
    PRIMARY KEY (district, record_id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['villages', 'budget_allocations']
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
