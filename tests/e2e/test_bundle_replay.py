"""`stations audit verify-bundle` replays a district bundle of a seeded half year on real PostgreSQL:
every figure recomputed from the whole signed log, and any alteration failing with its name."""

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import offline
from audit.replay import flatten
from audit.signing import public_pem
from tenants.stores import events_table
from tests.builders import service_delivered
from tests.bundles import altered, edited, exported, verify
from tests.support import record


@pytest.mark.parametrize("seed", [31, 32, 33])
async def test_the_verifier_recomputes_the_service_report_exactly(client, district, app_runtime, tmp_path, seed):
    written, keyring = await exported(client, district, app_runtime, tmp_path, seed)
    report = written["report"]
    assert report["cut"] and report["figures"]["person_times"] > 0 and report["figures"]["by_village"]

    code, output = verify(tmp_path, written, keyring)
    assert code == 0 and "every figure recomputed" in output, output
    code, output = verify(tmp_path, written)
    assert code == 3 and "no trusted key" in output, "the bundle's own key is never trusted by itself"
    # The auditor's own copy runs without the service: the same verdict.
    assert offline.main([str(tmp_path / "bundle.json"), "--key", str(keyring)]) == 0
    assert offline.main([str(tmp_path / "bundle.json")]) == 3


async def test_an_approved_bundle_without_every_town_verifies(client, district, app_runtime, tmp_path):
    first, second, third = district.towns
    written, keyring = await exported(client, district, app_runtime, tmp_path, towns=[first, second],
                                      version="approved")
    assert set(written["report"]["cut"]) == {first, second}
    missing = next(t for t in written["report"]["towns"] if t["town"] == third)["figures"]
    assert missing["person_times"] == 0 and missing["funds_spent"] == "0.00", "a town outside the cut counts nothing"

    code, output = verify(tmp_path, written, keyring)
    assert code == 0, output
    counted = edited(written, ["report", "towns", 2, "figures", "person_times"], lambda _: 5)
    code, output = verify(tmp_path, counted, keyring)
    assert code == 1 and output.startswith(f"✗ towns[{third}].figures.person_times: the events give 0"), output


async def test_each_alteration_fails_with_exit_1_and_is_named(client, district, other_district, app_runtime,
                                                              tmp_path, pool):
    written, keyring = await exported(client, district, app_runtime, tmp_path)
    events, report = written["events"], written["report"]
    town = next(iter(report["cut"]))
    row = next(i for i, t in enumerate(report["towns"]) if t["town"] == town)
    service = next(i for i, e in enumerate(events) if e["topic"].endswith("ServiceDelivery.Delivered"))
    state = base64.b64decode(events[service]["state"])
    one_byte = state.replace(b'"person_times":1', b'"person_times":2', 1)
    assert len(one_byte) == len(state) and one_byte != state
    stranger = Ed25519PrivateKey.generate().public_key()
    (untrusted := tmp_path / "untrusted.pem").write_text(public_pem(stranger))
    (garbled := tmp_path / "garbled.pem").write_text("not a key")
    await record(client, other_district, [service_delivered(other_district.town)])
    async with pool.acquire() as conn:
        foreign = await conn.fetchrow(f'SELECT * FROM {events_table(other_district.code)}'
                                      f" ORDER BY notification_id DESC LIMIT 1")
    spliced = {"position": events[service]["position"], "stream": str(foreign["originator_id"]),
               "version": foreign["originator_version"], "topic": foreign["topic"],
               "state": base64.b64encode(bytes(foreign["state"])).decode(), "index": service}
    text = json.dumps(written, ensure_ascii=False)

    for name, bad, key, named in [
        ("a missing event", {**written, "events": events[:service] + events[service + 1:]}, keyring,
         f"holds {len(events) - 1} events, the checkpoint signs {len(events)}: some are missing"),
        ("an event changed by one byte", edited(written, ["events", service, "state"],
                                                lambda _: base64.b64encode(one_byte).decode()), keyring,
         f"the event at position {events[service]['position']} is not the event the log hashed"),
        ("a town's by_month cell", edited(written, ["report", "towns", row, "figures", "by_month", "2025-03",
                                                    "person_times"], altered), keyring,
         f"towns[{town}].figures.by_month.2025-03.person_times: the events give"),
        ("a by_domain figure", edited(written, ["report", "figures", "by_domain", "elderly_care", "hours"], altered),
         keyring, "figures.by_domain.elderly_care.hours: the events give"),
        ("a child's digest swapped", edited(written, ["report", "children", 0, "digest"],
                                            lambda _: report["children"][1]["digest"]), keyring,
         f"children[{report['children'][0]['code']}].digest is not the digest of the figures the log approved"),
        ("an untrusted key", written, untrusted,
         f"signed by key {written['checkpoint']['key_id']}, which is not a trusted key"),
        ("a key file with no key", written, garbled, f"the key file {garbled} holds no Ed25519 public key"),
        ("an event of another district spliced in", {**written, "events": [*events[:service], spliced,
                                                                            *events[service + 1:]]}, keyring,
         f"is of town {other_district.town}, not of district {district.code}: spliced in"),
        ("a project left out", edited(written, ["report", "projects_detail"], lambda items: items[1:]), keyring,
         f"projects_detail[{report['projects_detail'][0]['project']}]: the log holds this contract"),
        ("a compliance that is not one", edited(written, ["report", "towns", row, "compliance", "gap_codes"],
                                                lambda _: 7), keyring, "the report is malformed where the verifier"),
        ("a truncated file", text[: len(text) // 2], keyring, "the bundle is not complete JSON"),
        ("an event without its topic", edited(written, ["events", 3], lambda e: {k: v for k, v in e.items()
                                                                                   if k != "topic"}), keyring,
         "events[3].topic is missing or malformed"),
    ]:
        code, output = verify(tmp_path, bad, key)
        assert code == 1, f"{name}: {output}"
        assert named in output.splitlines()[0], f"{name}: {output}"
        if name == "a missing event":
            assert f"positions missing: {events[service]['position']}" in output
        assert "Traceback" not in output


async def test_a_random_figure_altered_anywhere_is_named(client, district, app_runtime, tmp_path):
    """Property-style: any figure of the report, of a town's row or of a project's fund lines, altered,
    fails naming its path."""
    written, keyring = await exported(client, district, app_runtime, tmp_path)
    report = written["report"]
    paths = [(["report", "figures", *p.split(".")], f"figures.{p}") for p in flatten(report["figures"])]
    for i, row in enumerate(report["towns"]):
        paths += [(["report", "towns", i, "figures", *p.split(".")], f"towns[{row['town']}].figures.{p}")
                  for p in flatten(row["figures"])]
    for i, item in enumerate(report["projects_detail"]):  # funds by project
        paths += [(["report", "projects_detail", i, *p.split(".")], f"projects_detail[{item['project']}].{p}")
                  for p in flatten({"amount": item["amount"], "fund_lines": item["fund_lines"]})]
    rng = random.Random(30)
    for path, name in rng.sample(paths, 60):
        bad = edited(written, path, altered)
        problems = offline.verify_bundle(_written(tmp_path, bad), keyring).problems
        assert problems and problems[0].startswith(f"{name}: the events give"), (name, problems[:2])


def _written(tmp_path: Path, written: dict[str, Any]) -> Path:
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(written, ensure_ascii=False))
    return path
