"""Migrations that reshape report rows keep what they hold: run on a scratch database of the
same server, brought to the migration before, filled in the old shape, then migrated."""

import json

import psycopg
import yoyo

from stations.database import MIGRATIONS, _yoyo_url


def migrate_to(url: str, last: str) -> None:
    backend = yoyo.get_backend(_yoyo_url(url))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(yoyo.read_migrations(str(MIGRATIONS)).filter(lambda m: m.id <= last)))


def test_0011_keeps_each_recipients_counts_in_one_row(scratch_url):
    migrate_to(scratch_url, "0010_snapshot_recipient_deltas")
    old_rows = [  # (town, dim, key, recipient, services): a row per figure, the district's ('') too
        ("T1", "total", "", "R1", 2), ("T1", "month", "2025-03", "R1", 1), ("T1", "month", "2025-04", "R1", 1),
        ("T2", "total", "", "R1", 1), ("T2", "village", "a/b", "R1", 1),
        ("", "total", "", "R1", 3), ("", "month", "2025-03", "R1", 2), ("", "month", "2025-04", "R1", 1),
        ("T1", "total", "", "R2", 1), ("", "total", "", "R2", 1),
    ]
    with psycopg.connect(scratch_url) as conn:
        for town, dim, key, ref, services in old_rows:
            conn.execute("INSERT INTO reports.service_recipients VALUES ('350203', '2025H1', %s, %s, %s, %s, %s)",
                         [town, dim, key, ref, services])
        conn.execute("INSERT INTO snapshots.taken (district, position) VALUES ('350203', 100)")
        conn.execute("INSERT INTO snapshots.service_recipients"
                     " VALUES (100, '350203', '2025H1', 'T1', 'total', '', 'R1', 2)")

    migrate_to(scratch_url, "9999")

    with psycopg.connect(scratch_url) as conn:
        rows = conn.execute("SELECT district, recipient_ref, period, counts FROM reports.service_recipients"
                            " ORDER BY recipient_ref").fetchall()
        left_in_snapshots = conn.execute("SELECT (SELECT count(*) FROM snapshots.taken),"
                                         " (SELECT count(*) FROM snapshots.service_recipients)").fetchone()
    assert [(d, ref, period, counts if isinstance(counts, dict) else json.loads(counts))
            for d, ref, period, counts in rows] == [
        ("350203", "R1", "2025H1", {"T1/total/": 2, "T1/month/2025-03": 1, "T1/month/2025-04": 1,
                                    "T2/total/": 1, "T2/village/a/b": 1}),
        ("350203", "R2", "2025H1", {"T1/total/": 1}),
    ]
    assert left_in_snapshots == (0, 0), "the snapshots, a cache taken the old way, are dropped"


def test_0020_marks_the_rows_projected_before_it_and_reads_each_contract_s_credit_code_from_its_event(scratch_url):
    migrate_to(scratch_url, "0019")
    contracted = {"project": "P-1", "town": "350203001", "role": "core",
                  "provider": {"name": "某社工服务中心", "kind": "enterprise", "credit_code": "91350200YUYU122BT0"}}
    with psycopg.connect(scratch_url) as conn:
        conn.execute("CREATE TABLE eventstore.d350203_events (topic text, state bytea)")
        conn.execute("INSERT INTO eventstore.d350203_events VALUES"
                     " ('domain.project:Project.Contracted', convert_to(%s, 'UTF8')),"
                     " ('domain.service:ServiceDelivery.Delivered', convert_to('{\"project\": \"P-2\"}', 'UTF8'))",
                     [json.dumps(contracted, ensure_ascii=False)])
        for project in ("P-1", "P-2"):
            conn.execute("INSERT INTO reports.projects (district, project, record_id, town, role, name, provider, method,"
                         " amount, contract_start, contract_end, budget) VALUES ('350203', %s, 'pc', '350203001', 'core',"
                         " '项目', '某社工服务中心', 'open_tender', 300.00, '2025-01-01', '2025-12-31',"
                         " '{\"elderly_care\": \"200.00\", \"child_welfare\": \"100.00\"}')", [project])
        conn.execute("INSERT INTO snapshots.projects SELECT 100, * FROM reports.projects WHERE project = 'P-1'")
        conn.execute("INSERT INTO reports.station_facts VALUES ('350203', 'sg-1', '350203001', 'signboard', NULL,"
                     " '2025-01-15', '思明区厦港街道民政服务站')")
        conn.execute("INSERT INTO reports.fund_spending VALUES ('350203', '2025H1', '350203001', 'P-1', 'elderly_care',"
                     " 10.00, 1)")

    migrate_to(scratch_url, "9999")

    with psycopg.connect(scratch_url) as conn:
        projects = conn.execute("SELECT project, credit_code, lines, before_rules FROM reports.projects"
                                " ORDER BY project").fetchall()
        snapshot = conn.execute("SELECT credit_code, before_rules FROM snapshots.projects").fetchall()
        fact = conn.execute("SELECT attributes, before_rules FROM reports.station_facts").fetchone()
        spent = conn.execute("SELECT source, level, amount FROM reports.fund_spending").fetchall()
    lines = [{"source": "child_welfare", "level": "own", "amount": "100.00"},
             {"source": "elderly_care", "level": "own", "amount": "200.00"}]
    assert projects == [("P-1", "91350200YUYU122BT0", lines, True), ("P-2", None, lines, True)]
    assert snapshot == [("91350200YUYU122BT0", True)]
    assert fact == ({}, True)
    assert [(s, lv, str(a)) for s, lv, a in spent] == [("elderly_care", "own", "10.00")]


def test_0025_reads_what_the_report_sections_show_from_each_record_s_event(scratch_url):
    migrate_to(scratch_url, "0024")
    events = [
        ("Project.Contracted", {"project": "P-1", "record_id": "pc-1", "purchaser_kind": "town_government",
                                "provider": {"name": "某公司", "kind": "enterprise"}}),
        ("Project.FinalEvaluationDone", {"record_id": "fe-1", "project": "P-1", "evaluator": "third_party",
                                         "evaluator_name": "某评估机构", "grade": "优秀"}),
        ("Inspection.Done", {"record_id": "in-1", "scopes": ["execution", "funds"]}),
        ("Station.Established", {"record_id": "st-1", "address": "民族路1号"}),
        ("Station.EquipmentRecorded", {"record_id": "eq-1", "quantity": 3}),
        ("Station.RulesAdopted", {"record_id": "ru-1", "posted_on_wall": False}),
    ]
    with psycopg.connect(scratch_url) as conn:
        conn.execute("SELECT stations_guard.enter_maintenance('a test makes an old store')")
        conn.execute("CREATE TABLE eventstore.d350203_events (topic text, state bytea)")
        for topic, state in events:
            conn.execute("INSERT INTO eventstore.d350203_events VALUES (%s, convert_to(%s, 'UTF8'))",
                         [f"domain.x:{topic}", json.dumps(state, ensure_ascii=False)])
        conn.execute("INSERT INTO reports.projects (district, project, record_id, town, role, name, provider, method,"
                     " amount, contract_start, contract_end, budget, lines) VALUES ('350203', 'P-1', 'pc-1', '350203001',"
                     " 'core', '项目', '某公司', 'open_tender', 300.00, '2025-01-01', '2025-12-31', '{}', '[]')")
        conn.execute("INSERT INTO snapshots.projects SELECT 100, * FROM reports.projects")
        conn.execute("INSERT INTO reports.evaluations (district, record_id, project, kind, contract_year, on_date, score)"
                     " VALUES ('350203', 'fe-1', 'P-1', 'final', 1, '2025-06-20', 92.5)")
        conn.execute("INSERT INTO reports.inspections (district, record_id, town, occurred_on, period, kind, by_level,"
                     " issues_found) VALUES ('350203', 'in-1', '350203001', '2025-04-10', '2025H1', 'spot_check',"
                     " 'district', false)")
        for record_id, kind, key in (("st-1", "established", None), ("eq-1", "equipment", "computer"),
                                     ("ru-1", "rules", "archive"), ("sg-1", "signboard", None)):
            conn.execute("INSERT INTO reports.station_facts (district, record_id, town, kind, key, on_date, attributes)"
                         " VALUES ('350203', %s, '350203001', %s, %s, '2025-01-10', %s)",
                         [record_id, kind, key, '{"emblem": true}' if kind == "signboard" else "{}"])

    migrate_to(scratch_url, "9999")

    with psycopg.connect(scratch_url) as conn:
        assert conn.execute("SELECT purchaser_kind, provider_kind FROM reports.projects").fetchall() == \
            conn.execute("SELECT purchaser_kind, provider_kind FROM snapshots.projects").fetchall() == \
            [("town_government", "enterprise")]
        assert conn.execute("SELECT evaluator, evaluator_name, grade FROM reports.evaluations").fetchone() == \
            ("third_party", "某评估机构", "优秀")
        assert conn.execute("SELECT scopes FROM reports.inspections").fetchone() == (["execution", "funds"],)
        facts = dict(conn.execute("SELECT record_id, attributes FROM reports.station_facts").fetchall())
    assert facts == {"st-1": {"address": "民族路1号"}, "eq-1": {"quantity": 3}, "ru-1": {"posted_on_wall": False},
                     "sg-1": {"emblem": True}}
