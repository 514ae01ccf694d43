-- The report's sections (issue 32) show what the records said and the report tables did not keep:
-- who bought a project and the provider's kind, an inspection's scopes, a final evaluation's
-- evaluator and grade, a station's address, an item's quantity, whether a rule is posted on the
-- wall (the last three in station_facts.attributes). Rows found here are filled from their events,
-- where the district's store is on this server (as 0020 did for credit codes).
ALTER TABLE reports.projects ADD COLUMN purchaser_kind text, ADD COLUMN provider_kind text;
ALTER TABLE snapshots.projects ADD COLUMN purchaser_kind text, ADD COLUMN provider_kind text;
ALTER TABLE reports.evaluations ADD COLUMN evaluator text, ADD COLUMN evaluator_name text, ADD COLUMN grade text;
ALTER TABLE snapshots.evaluations ADD COLUMN evaluator text, ADD COLUMN evaluator_name text, ADD COLUMN grade text;
ALTER TABLE reports.inspections ADD COLUMN scopes jsonb;
ALTER TABLE snapshots.inspections ADD COLUMN scopes jsonb;

DO $$
DECLARE
    d text;
    s text;
    events text;
BEGIN
    FOR d IN SELECT DISTINCT district FROM reports.projects UNION SELECT DISTINCT district FROM reports.inspections
             UNION SELECT DISTINCT district FROM reports.station_facts
    LOOP
        events := 'd' || d || '_events';
        CONTINUE WHEN to_regclass(format('eventstore.%I', events)) IS NULL;
        FOREACH s IN ARRAY ARRAY['reports', 'snapshots']
        LOOP
            EXECUTE format(
                'UPDATE %I.projects p SET purchaser_kind = e.s ->> ''purchaser_kind'','
                ' provider_kind = e.s -> ''provider'' ->> ''kind'''
                ' FROM (SELECT convert_from(state, ''UTF8'')::jsonb AS s FROM eventstore.%I'
                '       WHERE topic LIKE ''%%:Project.Contracted'') AS e'
                ' WHERE p.district = %L AND p.project = e.s ->> ''project''', s, events, d);
            EXECUTE format(
                'UPDATE %I.evaluations v SET evaluator = e.s ->> ''evaluator'','
                ' evaluator_name = e.s ->> ''evaluator_name'', grade = e.s ->> ''grade'''
                ' FROM (SELECT convert_from(state, ''UTF8'')::jsonb AS s FROM eventstore.%I'
                '       WHERE topic LIKE ''%%:Project.FinalEvaluationDone'') AS e'
                ' WHERE v.district = %L AND v.record_id = e.s ->> ''record_id''', s, events, d);
            EXECUTE format(
                'UPDATE %I.inspections i SET scopes = e.s -> ''scopes'''
                ' FROM (SELECT convert_from(state, ''UTF8'')::jsonb AS s FROM eventstore.%I'
                '       WHERE topic LIKE ''%%:Inspection.Done'') AS e'
                ' WHERE i.district = %L AND i.record_id = e.s ->> ''record_id''', s, events, d);
            EXECUTE format(
                'UPDATE %I.station_facts f SET attributes = f.attributes || jsonb_strip_nulls(jsonb_build_object('
                '   ''address'', e.s -> ''address'', ''quantity'', e.s -> ''quantity'','
                '   ''posted_on_wall'', e.s -> ''posted_on_wall''))'
                ' FROM (SELECT convert_from(state, ''UTF8'')::jsonb AS s FROM eventstore.%I'
                '       WHERE topic LIKE ''%%:Station.Established'' OR topic LIKE ''%%:Station.Reestablished'''
                '          OR topic LIKE ''%%:Station.EquipmentRecorded'' OR topic LIKE ''%%:Station.RulesAdopted'') AS e'
                ' WHERE f.district = %L AND f.record_id = e.s ->> ''record_id''', s, events, d);
        END LOOP;
    END LOOP;
END
$$;
