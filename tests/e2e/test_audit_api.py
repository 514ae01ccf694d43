"""The audit endpoints, signed reports and the offline bundle."""

import base64
import json

import asyncpg

from audit import bundle, merkle, offline
from audit.signing import public_key_from_b64
from projections.reports import Scope
from stations import clock
from tests.builders import fund_spent, project_contracted, record_voided, service_delivered
from tests.conftest import bearer
from tests.e2e.test_reports_api import record


async def submitted_district(client, district) -> dict:
    contract = project_contracted(district.town)
    voided = service_delivered(district.town)
    await record(client, district, [contract, fund_spent(contract["project"]), voided,
                                    service_delivered(district.town, person_times=2)])
    await record(client, district, [record_voided(voided["id"])])
    answer = await client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                               headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_submission_carries_a_signed_checkpoint(client, district):
    submitted = await submitted_district(client, district)
    checkpoint = submitted["checkpoint"]
    key = (await client.get("/v1/audit/public-key")).json()

    assert checkpoint["position"] >= submitted["position"]
    assert checkpoint["key_id"] == key["key_id"]
    public = public_key_from_b64(key["public_key"])
    public.verify(bytes.fromhex(checkpoint["signature"]), offline.checkpoint_message(checkpoint))


async def test_proofs_and_verification_through_the_api(client, district):
    staff, base = bearer("auditor"), f"/v1/districts/{district.code}/audit"
    first = (await submitted_district(client, district))["checkpoint"]
    await record(client, district, [service_delivered(district.town)])
    returned = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/return",
                                json={"reason": "补充材料"}, headers=bearer("city"))
    assert returned.status_code == 200
    resubmitted = await client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                    headers=bearer("district", district.code))
    second = resubmitted.json()["checkpoint"]

    listed = (await client.get(f"{base}/checkpoints", headers=staff)).json()["checkpoints"]
    assert [c["tree_size"] for c in listed][-2:] == [first["tree_size"], second["tree_size"]]
    inclusion = (await client.get(f"{base}/proofs/inclusion", params={"position": 2}, headers=staff)).json()
    assert merkle.verify_inclusion(bytes.fromhex(inclusion["leaf"]), inclusion["index"], second["tree_size"],
                                   [bytes.fromhex(h) for h in inclusion["proof"]], bytes.fromhex(second["root"]))
    consistency = (await client.get(f"{base}/proofs/consistency", headers=staff,
                                    params={"first": first["tree_size"], "second": second["tree_size"]})).json()
    assert merkle.verify_consistency(first["tree_size"], second["tree_size"], bytes.fromhex(first["root"]),
                                     bytes.fromhex(second["root"]), [bytes.fromhex(h) for h in consistency["proof"]])
    verified = (await client.get(f"{base}/verify", headers=staff)).json()
    assert verified["ok"] and verified["checkpoints"] >= 2 and verified["first_bad_position"] is None
    station = bearer("station", district.code, district.town)
    assert (await client.get(f"{base}/verify", headers=station)).status_code == 403


async def test_a_bundle_verifies_offline_and_fails_after_any_change(client, district, app_runtime, database_url,
                                                                   tmp_path):
    submitted = await submitted_district(client, district)
    await client.get(f"/v1/districts/{district.code}/reports/2025H1", headers=bearer("district", district.code),
                     params={"min_position": submitted["position"]})  # the submission is projected
    conn = await asyncpg.connect(database_url)
    try:
        written = await bundle.export(conn, Scope(district.code, "2025H1", app_runtime.tenants.divisions,
                                                  clock.today()), "submitted", app_runtime.signing_key)
    finally:
        await conn.close()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(written, ensure_ascii=False))

    assert offline.verify_bundle(path) == []
    assert len(written["events"]) == 5 and written["report"]["figures"]["person_times"] == 2

    state = bytearray(base64.b64decode(written["events"][0]["state"]))
    state[10] ^= 1
    tampered = {**written, "events": [{**written["events"][0], "state": base64.b64encode(state).decode()},
                                      *written["events"][1:]]}
    path.write_text(json.dumps(tampered, ensure_ascii=False))
    assert offline.verify_bundle(path)

    lying = {**written, "report": {**written["report"], "figures": {**written["report"]["figures"],
                                                                    "person_times": 3}}}
    path.write_text(json.dumps(lying, ensure_ascii=False))
    assert any("person_times" in p for p in offline.verify_bundle(path))
