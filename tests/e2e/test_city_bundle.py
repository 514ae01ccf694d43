"""`stations audit verify-bundle` proves a city bundle level by level on real PostgreSQL: two
districts of a seeded half year approved by the city, the city's report submitted; each district
part replayed as a district bundle, each child matched, the city's figures summed, and any
alteration failing with its name."""

import json
import random
from pathlib import Path
from typing import Any

from audit import offline
from audit.replay import flatten
from service import audit_bundle as bundle
from tests.bundles import PERIOD, altered, city_submitted, edited, exported, verify


async def city_bundle(client, districts, app_runtime, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """Each district's seeded half year approved by the city, the city's report submitted: its bundle,
    and a keyring trusting the key that signed it."""
    for seed, district in enumerate(districts, start=41):
        _, keyring = await exported(client, district, app_runtime, tmp_path, seed, version="approved")
    await city_submitted(client)
    return await bundle.export_city(app_runtime, PERIOD, "submitted"), keyring


def part(written: dict[str, Any], code: str) -> int:
    return next(i for i, d in enumerate(written["districts"]) if d["district"] == code)


async def test_a_city_bundle_verifies_level_by_level_and_each_alteration_is_named(
        client, district, other_district, app_runtime, tmp_path):
    written, keyring = await city_bundle(client, [district, other_district], app_runtime, tmp_path)
    report, codes = written["report"], [district.code, other_district.code]
    children = {c["code"]: c for c in report["children"]}
    assert set(codes) <= set(children) and {d["district"] for d in written["districts"]} == set(children)
    mine = [written["districts"][part(written, code)] for code in codes]
    assert all(d["version"] == "approved" and d["report"]["digest"] == children[d["district"]]["digest"] for d in mine)
    assert report["figures"]["person_times"] >= sum(d["report"]["figures"]["person_times"] for d in mine) > 0

    code, output = verify(tmp_path, written, keyring)
    assert code == 0 and "every figure recomputed" in output, output
    code, output = verify(tmp_path, written)
    assert code == 3 and "no trusted key" in output, "no level's own key is trusted by itself"
    assert offline.main([str(tmp_path / "bundle.json"), "--key", str(keyring)]) == 0

    first = part(written, district.code)
    town_part = written["districts"][first]["report"]
    row = next(i for i, t in enumerate(town_part["towns"]) if t["figures"]["by_month"]["2025-03"]["person_times"])
    town = town_part["towns"][row]["town"]
    child = next(i for i, c in enumerate(report["children"]) if c["code"] == district.code)
    other_child = next(c for c in report["children"] if c["code"] == other_district.code)
    for name, bad, named in [
        ("a town's by_month cell in a district", edited(written, ["districts", first, "report", "towns", row, "figures",
                                                                  "by_month", "2025-03", "person_times"], altered),
         f"districts.{district.code}.towns[{town}].figures.by_month.2025-03.person_times: the events give"),
        ("the city's total", edited(written, ["report", "figures", "person_times"], altered),
         "city.figures.person_times: the districts' approved figures give"),
        ("a by_domain cell of the city", edited(written, ["report", "figures", "by_domain", "elderly_care", "hours"],
                                                altered), "city.figures.by_domain.elderly_care.hours: the districts'"),
        ("a district's row in the city's report", edited(written, ["report", "districts", next(
            i for i, d in enumerate(report["districts"]) if d["district"] == district.code), "figures", "recipients"],
            altered), f"city.districts[{district.code}].figures.recipients: district {district.code}'s approved"),
        ("a child's digest swapped", edited(written, ["report", "children", child, "digest"],
                                            lambda _: other_child["digest"]),
         f"city.children[{district.code}].digest is not the digest of district {district.code}'s approved version"),
        ("a child's checkpoint root", edited(written, ["report", "children", child, "checkpoint", "root"],
                                             lambda _: other_child["checkpoint"]["root"]),
         f"city.children[{district.code}].checkpoint.root is not the root of district {district.code}'s first"),
        ("a child's position", edited(written, ["report", "children", child, "position"], lambda n: n - 1),
         f"city.children[{district.code}].position is {children[district.code]['position'] - 1}, district"
         f" {district.code}'s approved version froze position {children[district.code]['position']}"),
        ("a district given twice", {**written, "districts": [*written["districts"], written["districts"][first]]},
         f"districts.{district.code}: in the bundle twice"),
        ("a district left out", {**written, "districts": [d for d in written["districts"]
                                                          if d["district"] != district.code]},
         f"districts.{district.code}: missing from the bundle, though city.children[{district.code}] names it"),
        ("a district's submitted version instead of its approved one",
         edited(written, ["districts", first, "version"], lambda _: "submitted"),
         f"districts.{district.code}.version is 'submitted'"),
        ("a city event changed", edited(written, ["events", len(written["events"]) - 1, "topic"], lambda t: t + "X"),
         f"the event at position {written['events'][-1]['position']} is not the event the log hashed"),
        ("a district's bundle passed off as the city's", {**written["districts"][first], "districts": [],
                                                           "format": offline.CITY_FORMAT},
         f"district is '{district.code}': a city bundle is the city's"),
    ]:
        code, output = verify(tmp_path, bad, keyring)
        assert code == 1, f"{name}: {output}"
        assert named in output.splitlines()[0], f"{name}: {output}"
        assert "Traceback" not in output

    # Property-style: any figure of the city's, or of a district's row in it, altered, is named first.
    paths = [(["report", "figures", *p.split(".")], f"city.figures.{p}: the districts' approved figures give")
             for p in flatten(report["figures"])]
    for i, row in enumerate(report["districts"]):
        if row["district"] in codes:
            paths += [(["report", "districts", i, "figures", *p.split(".")],
                       f"city.districts[{row['district']}].figures.{p}: district {row['district']}'s approved figures")
                      for p in flatten(row["figures"])]
    path = tmp_path / "altered.json"
    for where, named in random.Random(30).sample(paths, 40):
        path.write_text(json.dumps(edited(written, where, altered), ensure_ascii=False))
        problems = offline.verify_bundle(path, keyring).problems
        assert problems and problems[0].startswith(named), (named, problems[:2])
