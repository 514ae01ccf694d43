"""The audit endpoints, signed reports and the offline bundle."""

import base64
import json


from audit import checkpoints, offline, verify
from kernel import merkle
from service import audit_bundle as bundle
from audit.signing import public_key_from_b64, public_pem
from projections import connections, lineage
from tests.builders import fund_spent, project_contracted, record_voided, service_delivered
from tests.support import approve_towns, bearer, caught_up, record, signed


async def submitted_district(client, district) -> dict:
    contract = project_contracted(district.town)
    voided = service_delivered(district.town)
    await record(client, district, [contract, fund_spent(contract["project"]), voided,
                                    service_delivered(district.town, person_times=2)])
    await record(client, district, [record_voided(voided["id"])])
    await approve_towns(client, district, [district.town])
    answer = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                                 headers=bearer("district", district.code)))
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "checkpoint": await signed(client, answer.json())}


async def test_a_submission_carries_a_signed_checkpoint(client, district):
    submitted = await submitted_district(client, district)
    checkpoint = submitted["checkpoint"]
    key = (await client.get("/v1/audit/public-key")).json()

    assert checkpoint["position"] >= submitted["position"]
    assert checkpoint["key_id"] == key["key_id"]
    public = public_key_from_b64(key["public_key"])
    public.verify(bytes.fromhex(checkpoint["signature"]), offline.checkpoint_message(checkpoint))


async def test_proofs_and_verification_through_the_api(client, district, monkeypatch):
    staff, base = bearer("auditor"), f"/v1/districts/{district.code}/audit"
    # The proofs and the verification stream the log past, two rows a fetch: several pages.
    monkeypatch.setattr(checkpoints, "LEAVES_AT_ONCE", 2)
    monkeypatch.setattr(verify, "PAGE", 2)
    first = (await submitted_district(client, district))["checkpoint"]
    await record(client, district, [service_delivered(district.town)])
    returned = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/return",
                                json={"reason": "补充材料"}, headers=bearer("city"))
    assert returned.status_code == 200
    resubmitted = await client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                    headers=bearer("district", district.code))
    second = await signed(client, resubmitted.json())

    listed = (await client.get(f"{base}/checkpoints", headers=staff)).json()["checkpoints"]
    # Every step of the chain has its checkpoint: the submission, the return, the submission again.
    assert [c["tree_size"] for c in listed][-3:] == [first["tree_size"], (await signed(client, returned.json()))[
        "tree_size"], second["tree_size"]]
    inclusion = (await client.get(f"{base}/proofs/inclusion", params={"position": 2}, headers=staff)).json()
    logged = (await client.get(f"/v1/districts/{district.code}/events", params={"after": 1, "limit": 1},
                               headers=staff)).json()["events"][0]
    assert logged["hash"] == inclusion["leaf"], "the log shows each event's leaf hash"
    assert merkle.verify_inclusion(bytes.fromhex(inclusion["leaf"]), inclusion["index"], second["tree_size"],
                                   [bytes.fromhex(h) for h in inclusion["proof"]], bytes.fromhex(second["root"]))
    consistency = (await client.get(f"{base}/proofs/consistency", headers=staff,
                                    params={"first": first["tree_size"], "second": second["tree_size"]})).json()
    assert merkle.verify_consistency(first["tree_size"], second["tree_size"], bytes.fromhex(first["root"]),
                                     bytes.fromhex(second["root"]), [bytes.fromhex(h) for h in consistency["proof"]])
    verified = (await client.get(f"{base}/verify", headers=staff)).json()
    assert verified["ok"] and verified["checkpoints"] >= 3 and verified["first_bad_position"] is None
    assert verified["witnessed"] == 2 * verified["checkpoints"], "each in the city's store and the witness directory"
    station = bearer("station", district.code, district.town)
    assert (await client.get(f"{base}/verify", headers=station)).status_code == 403


async def test_a_bundle_verifies_offline_and_fails_after_any_change(client, district, app_runtime, database_url,
                                                                   tmp_path):
    submitted = await submitted_district(client, district)
    await client.get(f"/v1/districts/{district.code}/reports/2025H1", headers=bearer("district", district.code),
                     params={"min_position": submitted["position"]})  # the submission is projected
    written = await bundle.export(app_runtime, district.code, "2025H1", "submitted")
    path, keyring = tmp_path / "bundle.json", tmp_path / "keyring.pem"
    path.write_text(json.dumps(written, ensure_ascii=False))
    keyring.write_text(public_pem(app_runtime.keyring()[written["checkpoint"]["key_id"]]))

    assert offline.verify_bundle(path, keyring).problems == []
    assert offline.verify_bundle(path, keyring).trusted
    # The whole log up to the checkpoint, the submission included.
    assert [e["position"] for e in written["events"]] == list(range(1, written["checkpoint"]["tree_size"] + 1))
    assert written["report"]["figures"]["person_times"] == 2

    state = bytearray(base64.b64decode(written["events"][0]["state"]))
    state[10] ^= 1
    tampered = {**written, "events": [{**written["events"][0], "state": base64.b64encode(state).decode()},
                                      *written["events"][1:]]}
    path.write_text(json.dumps(tampered, ensure_ascii=False))
    assert offline.verify_bundle(path, keyring).problems

    lying = {**written, "report": {**written["report"], "figures": {**written["report"]["figures"],
                                                                    "person_times": 3}}}
    path.write_text(json.dumps(lying, ensure_ascii=False))
    assert offline.verify_bundle(path, keyring).problems[0].startswith("figures.person_times: the events give 2")


async def test_lineage_adds_up_to_each_figure(client, district, monkeypatch):
    from tests.integration.halfyear import generate

    monkeypatch.setattr(lineage, "PAGE", 7)  # the period's events stream past in many pages

    for batch in generate(district, seed=31, services=120):
        position = await record(client, district, batch)
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    report = (await client.get(base, params={"min_position": position}, headers=staff)).json()
    figures = report["figures"]
    town = district.town
    town_figures = next(t for t in report["towns"] if t["town"] == town)["figures"]

    for figure, expected, at in [
        ("person_times", figures["person_times"], None),
        ("recipients", figures["recipients"], None),
        ("service_hours", figures["service_hours"], None),
        ("by_domain.elderly_care.person_times", figures["by_domain"]["elderly_care"]["person_times"], None),
        ("by_recipient_category.orphan.recipients", figures["by_recipient_category"]["orphan"]["recipients"], None),
        ("by_month.2025-03.hours", figures["by_month"]["2025-03"]["hours"], None),
        ("funds_spent", figures["funds_spent"], None),
        ("funds_by_source.social_assistance", figures["funds_by_source"]["social_assistance"], None),
        ("inspections", figures["inspections"], None),
        ("projects.core", figures["projects"]["core"], None),
        ("person_times", town_figures["person_times"], town),
        ("recipients", town_figures["recipients"], town),
    ]:
        params = {"figure": figure} | ({"town": at} if at else {})
        traced = (await client.get(f"{base}/lineage", params=params, headers=staff)).json()
        assert traced["value"] == expected, figure
        assert all(e["voided"] == (e["voided_by"] is not None) for e in traced["events"])

    everything = (await client.get(f"{base}/lineage", params={"figure": "person_times"}, headers=staff)).json()
    assert any(e["voided"] for e in everything["events"]), "voided services are listed, marked"
    unknown = await client.get(f"{base}/lineage", params={"figure": "by_mood.happy"}, headers=staff)
    assert unknown.status_code == 422


async def test_an_auditors_reads_of_records_are_logged(client, district, database_url):
    await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))
    await client.get(f"/v1/districts/{district.code}/events", headers=bearer("district", district.code))
    conn = await connections.connect(database_url)
    try:
        logged = await conn.fetch("SELECT subject, role, path FROM audit.access_log WHERE district = $1",
                                  district.code)
    finally:
        await conn.close()
    assert [(r["role"], r["path"]) for r in logged] == [("auditor", f"/v1/districts/{district.code}/events")]


async def test_a_restatement_explains_each_change_since_submission(client, district):
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    early = service_delivered(district.town, person_times=2)
    await record(client, district, [early, service_delivered(district.town)])
    await approve_towns(client, district, [district.town])
    submitted = await client.post(f"{base}/submit", headers=staff)
    late = service_delivered(district.town, domain="social_assistance", person_times=4)
    void = record_voided(early["id"])
    position = await record(client, district, [late, void])
    await client.get(base, params={"min_position": position}, headers=staff)

    restated = (await client.get(f"{base}/restatement", headers=staff)).json()

    changes = {d["figure"]: d for d in restated["differences"]}
    assert restated["from_position"] < submitted.json()["position"] < restated["to_position"]
    assert (changes["person_times"]["from"], changes["person_times"]["to"]) == (3, 5)
    explained = {(e["record_id"], e["voided"]) for e in changes["person_times"]["events"]}
    assert explained == {(late["id"], False), (early["id"], True)}
    assert {e["record_id"] for e in changes["by_domain.social_assistance.person_times"]["events"]} == {late["id"]}
    assert "by_domain.child_welfare.person_times" not in changes

    log = (await client.get(f"/v1/districts/{district.code}/events", headers=staff)).json()["events"]
    frozen_at = next(e for e in log if e["position"] == restated["from_position"])["recorded_at"]
    between = (await client.get(f"{base}/restatement", headers=staff,
                                params={"from_as_of": frozen_at, "to_as_of": log[-1]["recorded_at"]})).json()
    moved = {d["figure"]: d for d in between["differences"]}
    assert (moved["person_times"]["from"], moved["person_times"]["to"]) == (3, 5)
    assert {e["record_id"] for e in moved["person_times"]["events"]} == {late["id"], early["id"]}
    same = (await client.get(f"{base}/restatement", headers=staff,
                             params={"from_as_of": frozen_at, "to_as_of": frozen_at})).json()
    assert same["differences"] == []


async def test_as_of_through_the_api_goes_by_the_logs_recorded_times(client, district):
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    first = service_delivered(district.town, person_times=2)
    await record(client, district, [first])
    events = (await client.get(f"/v1/districts/{district.code}/events", headers=staff)).json()["events"]
    moment = events[-1]["recorded_at"]
    position = await record(client, district, [service_delivered(district.town), record_voided(first["id"])])
    now = (await client.get(base, params={"min_position": position}, headers=staff)).json()

    then = await client.get(base, params={"as_of": moment}, headers=staff)

    assert then.status_code == 200, then.text
    assert then.json()["figures"]["person_times"] == 2 and now["figures"]["person_times"] == 1
    assert then.json()["as_of"]["position"] == events[-1]["position"]
    town = await client.get(f"{base}/towns/{district.town}", params={"as_of": moment}, headers=staff)
    assert town.json()["figures"]["person_times"] == 2
    both = await client.get(base, params={"as_of": moment, "version": "submitted"}, headers=staff)
    naive = await client.get(base, params={"as_of": "2025-07-01T00:00:00"}, headers=staff)
    assert both.status_code == naive.status_code == 422


async def test_the_city_report_as_of_a_moment(client, district):
    await record(client, district, [service_delivered(district.town, person_times=3)])
    log = (await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))).json()["events"]
    position = await record(client, district, [service_delivered(district.town, person_times=4)])
    await client.get(f"/v1/districts/{district.code}/reports/2025H1", params={"min_position": position},
                     headers=bearer("district", district.code))

    then = (await client.get("/v1/city/reports/2025H1", params={"as_of": log[-1]["recorded_at"]},
                             headers=bearer("city"))).json()
    now = (await client.get("/v1/city/reports/2025H1", headers=bearer("city"))).json()

    mine = {d["district"]: d["figures"]["person_times"] for d in then["districts"]}
    assert mine[district.code] == 3
    assert {d["district"]: d["figures"]["person_times"] for d in now["districts"]}[district.code] == 7
    assert then["figures"]["person_times"] == sum(mine.values())
