"""The chain composes (`../shared/API.md`, "The chain composes"): a level submits once the half
year has ended and the reports of the level below are approved, or says why it goes without them."""

import asyncio
import hashlib
import json
from decimal import Decimal

import httpx

from kernel import clock
from projections.periods import period_of
from tests.builders import record_voided, service_delivered, station_established
from tests.support import SampleDistrict, approve_towns, bearer, caught_up, record, report, unreported_city_period


async def _post(client: httpx.AsyncClient, path: str, headers: dict[str, str], **body) -> httpx.Response:
    """A step of the chain, asked again while the projections are behind the log's head."""
    return await caught_up(lambda: client.post(path, headers=headers, json=body or None))


async def _problem(answer: httpx.Response, status: int, slug: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == f"/problems/{slug}", problem
    return problem


async def test_nothing_is_submitted_before_the_half_year_ends(client, district: SampleDistrict):
    now = period_of(clock.today())
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{now}"
    position = await record(client, district, [service_delivered(district.town, occurred_on=clock.today().isoformat())])

    for path, headers in ((f"{base}/towns/{district.town}/submit", staff), (f"{base}/submit", staff),
                          (f"/v1/city/reports/{now}/submit", bearer("city"))):
        problem = await _problem(await _post(client, path, headers), 409, "period-open")
        assert now in problem["detail"]

    current = await report(client, district, position, period=now)
    assert current["status"] == "draft"
    assert {t["status"] for t in current["towns"]} == {"draft"}


async def test_a_district_submits_once_its_towns_with_a_station_are_approved(client, district: SampleDistrict):
    first, second, without_station = district.towns
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(first), station_established(second),
                                    service_delivered(first), service_delivered(second),
                                    service_delivered(without_station)])

    refused = await _problem(await _post(client, f"{base}/submit", staff), 409, "children-not-approved")
    assert refused["towns"] == [{"town": first, "name": district.towns[first], "status": "draft"},
                                {"town": second, "name": district.towns[second], "status": "draft"}]

    assert (await _post(client, f"{base}/towns/{first}/submit", staff)).status_code == 200
    assert (await _post(client, f"{base}/towns/{first}/approve", staff)).status_code == 200
    assert (await _post(client, f"{base}/towns/{second}/submit", staff)).status_code == 200
    refused = await _problem(await _post(client, f"{base}/submit", staff), 409, "children-not-approved")
    assert [(t["town"], t["status"]) for t in refused["towns"]] == [(second, "submitted")]
    preview = (await caught_up(lambda: client.get(f"{base}/preview", headers=staff))).json()
    assert preview["blocking"] == refused["towns"] and list(preview["cut"]) == [first]
    assert second in refused["detail"] and "incomplete_reason" in refused["detail"]
    assert (await report(client, district, 0))["status"] == "draft"  # nothing stored

    incomplete = await _post(client, f"{base}/submit", staff, incomplete_reason="乙街道复核中，先行报送")
    assert incomplete.status_code == 200, incomplete.text
    frozen = await report(client, district, incomplete.json()["position"], version="submitted")
    assert frozen["incomplete_reason"] == "乙街道复核中，先行报送"
    assert frozen["missing"] == [{"town": second, "name": district.towns[second], "status": "submitted"}]

    again = await _post(client, f"{base}/submit", staff, incomplete_reason="再次报送")
    assert (await _problem(again, 409, "report-state"))["detail"]


async def test_a_district_whose_towns_are_all_approved_lists_nothing_missing(client, district: SampleDistrict):
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(district.town), service_delivered(district.town)])
    for step in ("submit", "approve"):
        assert (await _post(client, f"{base}/towns/{district.town}/{step}", staff)).status_code == 200

    submitted = await _post(client, f"{base}/submit", staff)
    assert submitted.status_code == 200, submitted.text
    frozen = await report(client, district, submitted.json()["position"], version="submitted")
    assert "missing" not in frozen and "incomplete_reason" not in frozen


async def test_two_submissions_racing_store_one_version_and_the_other_is_told_why(client, district: SampleDistrict):
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(district.town), service_delivered(district.town)])
    for step in ("submit", "approve"):
        assert (await _post(client, f"{base}/towns/{district.town}/{step}", staff)).status_code == 200

    answers = await asyncio.gather(*(_post(client, f"{base}/submit", staff) for _ in range(4)))

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        await _problem(refused, 409, "report-state")
    stored = [e for e in await _events(client, district) if e["type"] == "report_submitted" and not e["payload"].get("town")]
    assert len(stored) == 1


async def test_a_district_cannot_approve_another_district_s_town(client, district, other_district):
    await record(client, other_district, [station_established(other_district.town),
                                          service_delivered(other_district.town)])
    theirs = f"/v1/districts/{other_district.code}/reports/2025H1/towns/{other_district.town}"
    assert (await _post(client, f"{theirs}/submit", bearer("district", other_district.code))).status_code == 200
    mine = bearer("district", district.code)

    through_mine = await _post(client, f"/v1/districts/{district.code}/reports/2025H1/towns/{other_district.town}"
                                       "/approve", mine)
    through_theirs = await _post(client, f"{theirs}/approve", mine)

    await _problem(through_mine, 404, "not-found")
    await _problem(through_theirs, 404, "not-found")  # another district is not there for it
    town = (await caught_up(lambda: client.get(theirs, headers=bearer("district", other_district.code)))).json()
    assert town["status"] == "submitted"  # nothing stored


async def _events(client: httpx.AsyncClient, district: SampleDistrict) -> list[dict]:
    answer = await client.get(f"/v1/districts/{district.code}/events", params={"limit": 1000},
                              headers=bearer("auditor"))
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def _recomputed(events: list[dict], cut: dict[str, int]) -> dict:
    """The service figures over exactly the events of the cut, counted here from the log: each
    town's services at or below its position, less those voided at or below it."""
    towns = {e["record_id"]: e["payload"]["town"] for e in events if e["type"] == "service_delivered"}
    in_cut = [e for e in events if e["type"] in ("service_delivered", "record_voided")
              and (town := towns.get(e["record_id"] if e["type"] == "service_delivered" else e["payload"]["record"]))
              in cut and e["position"] <= cut[town]]
    voided = {e["payload"]["record"] for e in in_cut if e["type"] == "record_voided"}
    services = [e["payload"] for e in in_cut if e["type"] == "service_delivered" and e["record_id"] not in voided]
    by_domain: dict[str, dict] = {}
    for s in services:
        cell = by_domain.setdefault(s["domain"], {"person_times": 0, "recipients": set(), "hours": Decimal(0)})
        cell["person_times"] += s["person_times"]
        cell["recipients"].add(s["recipient_ref"])
        cell["hours"] += Decimal(s["hours"])
    return {"person_times": sum(s["person_times"] for s in services),
            "recipients": len({s["recipient_ref"] for s in services}),
            "service_hours": str(sum((Decimal(s["hours"]) for s in services), Decimal("0.00"))),
            "by_domain": {d: {"person_times": c["person_times"], "recipients": len(c["recipients"]),
                              "hours": str(c["hours"].quantize(Decimal("0.01")))} for d, c in by_domain.items()}}


async def test_a_district_freezes_the_cut_of_its_towns_approved_versions(client, district: SampleDistrict):
    first, second, _ = district.towns
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    both = "R-" + district.code  # a person served in both towns: one recipient of the district
    voided = service_delivered(first, person_times=7)
    await record(client, district, [
        station_established(first), station_established(second), voided,
        service_delivered(first, recipient_ref=both, person_times=2, hours="2.5"),
        service_delivered(first, domain="social_assistance", recipient_category="low_income_margin", hours="1.25"),
        service_delivered(second, recipient_ref=both, hours="0.75"), service_delivered(second)])
    await record(client, district, [record_voided(voided["id"])])

    cut = {}
    for town, late in ((first, service_delivered(first, recipient_ref="late-" + district.code, person_times=5)),
                       (second, service_delivered(second, person_times=11))):
        submitted = await _post(client, f"{base}/towns/{town}/submit", staff)
        assert submitted.status_code == 200, submitted.text
        cut[town] = submitted.json()["frozen_position"]
        assert (await _post(client, f"{base}/towns/{town}/approve", staff)).status_code == 200
        await record(client, district, [late])  # after its town's approval: outside the cut

    preview = (await caught_up(lambda: client.get(f"{base}/preview", headers=staff))).json()
    submitted = await _post(client, f"{base}/submit", staff)
    assert submitted.status_code == 200, submitted.text
    frozen = await report(client, district, submitted.json()["position"], version="submitted")
    live = await report(client, district, submitted.json()["position"])

    assert (preview["basis_zh"], preview["blocking"]) == ("报送口径", [])
    assert (preview["figures"], preview["cut"]) == (frozen["figures"], frozen["cut"])  # what it would freeze, it froze
    assert frozen["cut"] == cut
    expected = _recomputed(await _events(client, district), cut)
    figures = frozen["figures"]
    assert {k: figures[k] for k in ("person_times", "recipients", "service_hours")} == {
        k: expected[k] for k in ("person_times", "recipients", "service_hours")}
    assert (figures["person_times"], figures["recipients"]) == (2 + 1 + 1 + 1, 3)
    assert {d: figures["by_domain"][d] for d in expected["by_domain"]} == expected["by_domain"]
    towns = {t["town"]: t["figures"] for t in frozen["towns"]}
    assert figures["person_times"] == towns[first]["person_times"] + towns[second]["person_times"]
    assert figures["recipients"] < towns[first]["recipients"] + towns[second]["recipients"]
    assert live["figures"]["person_times"] == figures["person_times"] + 5 + 11  # the live view has the late ones

    assert frozen["digest"] == _digest(figures)
    children = {c["code"]: c for c in frozen["children"]}
    assert set(children) == {first, second}
    for town, child in children.items():
        approved = (await caught_up(lambda town=town: client.get(
            f"{base}/towns/{town}", params={"version": "approved"}, headers=staff))).json()
        assert (child["version"], child["position"]) == ("approved", cut[town])
        assert child["digest"] == approved["digest"] == _digest(approved["figures"])
        assert child["checkpoint"]["tree_size"] >= cut[town] and len(child["checkpoint"]["root"]) == 64


def _digest(figures: dict) -> str:
    """docs/audit.md: SHA-256 of the canonical encoding of the figures."""
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"stations-figures-v1\n" + text.encode("utf-8")).hexdigest()


async def test_the_city_reports_its_approved_districts_to_the_province(client, district, other_district):
    """Other tests' districts may have stations in the half year too: the city goes without those
    (`incomplete_reason`), and the assertions speak of this test's districts."""
    period = await unreported_city_period(client)
    day = f"{period[:4]}-{'03' if period.endswith('H1') else '09'}-10"
    city, province = bearer("city"), bearer("province")
    mine = sorted((district, other_district), key=lambda d: d.code)
    codes = [d.code for d in mine]
    written = [f"{d.code}:" + str(await record(client, d, [station_established(d.town, established_on=day),
                                                          service_delivered(d.town, occurred_on=day, person_times=3)]))
               for d in mine]
    cities = f"/v1/city/reports/{period}"
    assert (await client.get(cities, params={"min_position": ",".join(written)}, headers=city)).status_code == 200

    def of_mine(problem: dict) -> list[dict]:
        return [d for d in problem["districts"] if d["district"] in codes]

    refused = await _problem(await _post(client, f"{cities}/submit", city), 409, "children-not-approved")
    assert of_mine(refused) == [{"district": d.code, "name": d.name, "status": "draft"} for d in mine]
    await _problem(await _post(client, f"{cities}/approve", province), 409, "report-state")  # nothing submitted

    for d in mine:
        await approve_towns(client, d, [d.town], period=period)
        staff = bearer("district", d.code)
        assert (await _post(client, f"/v1/districts/{d.code}/reports/{period}/submit", staff)).status_code == 200
    first, second = mine
    approved = await _post(client, f"{cities}/districts/{first.code}/approve", city)
    returned = await _post(client, f"{cities}/districts/{second.code}/return", city, reason="请核实")
    waits = f"{first.code}:{approved.json()['position']},{second.code}:{returned.json()['position']}"
    assert (await client.get(cities, params={"min_position": waits}, headers=city)).status_code == 200
    refused = await _problem(await _post(client, f"{cities}/submit", city), 409, "children-not-approved")
    assert [(d["district"], d["status"]) for d in of_mine(refused)] == [(second.code, "returned")]
    assert (await _post(client, f"/v1/districts/{second.code}/reports/{period}/submit",
                        bearer("district", second.code))).status_code == 200
    approved = await _post(client, f"{cities}/districts/{second.code}/approve", city)
    await client.get(cities, params={"min_position": f"{second.code}:{approved.json()['position']}"}, headers=city)

    submitted = await _post(client, f"{cities}/submit", city)
    others = submitted.json().get("districts", []) if submitted.status_code == 409 else []
    if others:  # districts of other tests only
        assert not of_mine(submitted.json())
        submitted = await _post(client, f"{cities}/submit", city, incomplete_reason="其他区未报")
    assert submitted.status_code == 200, submitted.text
    await _problem(await _post(client, f"{cities}/submit", city), 409, "report-state")  # submitting twice
    await _problem(await _post(client, f"{cities}/districts/{first.code}/approve", province), 403, "forbidden")
    behind = f"city:{submitted.json()['position']}"
    frozen = (await caught_up(lambda: client.get(cities, params={"version": "submitted", "min_position": behind},
                                                 headers=province))).json()
    assert frozen.get("missing", []) == others
    versions = {c["code"]: (await client.get(f"/v1/districts/{c['code']}/reports/{period}",
                                             params={"version": "approved"}, headers=city)).json()
                for c in frozen["children"]}
    assert set(codes) <= set(versions)
    assert [c["digest"] for c in frozen["children"]] == [v["digest"] for v in versions.values()]
    for figure in ("person_times", "recipients", "stations"):
        assert frozen["figures"][figure] == sum(v["figures"][figure] for v in versions.values())
    assert all(versions[code]["figures"]["person_times"] == 3 for code in codes)
    assert frozen["digest"] == _digest(frozen["figures"])
    assert (await client.get(f"/v1/districts/{first.code}/reports/{period}", headers=province)).status_code == 404

    sent_back = await _post(client, f"{cities}/return", province, reason="请补充说明")
    assert sent_back.json()["status"] == "returned"
    again = await _post(client, f"{cities}/submit", city, **({"incomplete_reason": "其他区未报"} if others else {}))
    assert again.status_code == 200, again.text  # after a return, the city submits again
    final = await _post(client, f"{cities}/approve", province)
    assert final.json()["status"] == "approved"
    behind = f"city:{final.json()['position']}"
    approved_version = await caught_up(lambda: client.get(cities, params={"version": "approved", "min_position": behind},
                                                          headers=city))
    assert approved_version.json()["status"] == "approved"
    assert approved_version.json()["figures"] == frozen["figures"]
    assert [c for c in approved_version.json()["stale_children"] if c["code"] in codes] == []

    corrected = await _post(client, f"{cities}/districts/{first.code}/return", city, reason="数据需更正")
    assert corrected.status_code == 200, corrected.text  # an approved district's report, returned to be corrected
    behind = f"{first.code}:{corrected.json()['position']}"
    assert (await client.get(cities, params={"min_position": behind}, headers=city)).status_code == 200
    stale = (await client.get(cities, params={"version": "approved"}, headers=province)).json()["stale_children"]
    took = next(c for c in frozen["children"] if c["code"] == first.code)
    assert [c for c in stale if c["code"] in codes] == [
        {"code": first.code, "took": {"position": took["position"], "digest": took["digest"]},
         "now": {"status": "returned", "position": None, "digest": None}}]
    sheet = await client.get(f"{cities}.csv", params={"version": "approved"}, headers=province)
    assert sheet.status_code == 200, sheet.text
    assert "approved" in sheet.headers["content-disposition"]


async def test_the_city_takes_a_district_approved_while_its_projection_lagged(client, pool, district):
    """The district's projection is held back (its tracking row locked, as a busy worker would)
    while the city approves it and submits: the submission waits for it, and takes it."""
    period = await unreported_city_period(client)
    day = f"{period[:4]}-{'03' if period.endswith('H1') else '09'}-10"
    city, cities = bearer("city"), f"/v1/city/reports/{period}"
    await record(client, district, [station_established(district.town, established_on=day),
                                    service_delivered(district.town, occurred_on=day)])
    await approve_towns(client, district, [district.town], period=period)
    submitted = await _post(client, f"/v1/districts/{district.code}/reports/{period}/submit",
                            bearer("district", district.code))
    assert submitted.status_code == 200, submitted.text
    await report(client, district, submitted.json()["position"], period=period)

    async with pool.acquire() as held, held.transaction():
        await held.execute("SELECT 1 FROM reports.tracking WHERE district = $1 FOR UPDATE", district.code)
        approved = await _post(client, f"{cities}/districts/{district.code}/approve", city)
        assert approved.status_code == 200, approved.text
        submitting = asyncio.create_task(_post(client, f"{cities}/submit", city, incomplete_reason="其他区未报"))
        await asyncio.sleep(0.3)
    answer = await submitting

    assert answer.status_code == 200, answer.text
    frozen = (await caught_up(lambda: client.get(cities, params={"version": "submitted",
                                                                 "min_position": f"city:{answer.json()['position']}"},
                                                 headers=city))).json()
    taken = {c["code"]: c["position"] for c in frozen["children"]}
    assert taken.get(district.code) == submitted.json()["frozen_position"]
    assert district.code not in {d["district"] for d in frozen.get("missing", [])}


async def test_a_town_returned_after_its_district_submitted_shows_as_stale(client, district: SampleDistrict):
    first, second, _ = district.towns
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/2025H1"
    await record(client, district, [station_established(first), station_established(second),
                                    service_delivered(first), service_delivered(second)])
    await approve_towns(client, district, [first, second])
    submitted = await _post(client, f"{base}/submit", staff)
    assert submitted.status_code == 200, submitted.text
    taken = await report(client, district, submitted.json()["position"], version="submitted")
    assert taken["stale_children"] == []
    assert all("changed" not in c for c in taken["children"])  # a first submission

    returned = await _post(client, f"{base}/towns/{second}/return", staff, reason="台账需更正")
    assert returned.status_code == 200, returned.text  # an approved town's report, returned to be corrected
    stale = (await report(client, district, returned.json()["position"], version="submitted"))["stale_children"]
    took = next(c for c in taken["children"] if c["code"] == second)
    assert stale == [{"code": second, "took": {"position": took["position"], "digest": took["digest"]},
                      "now": {"status": "returned", "position": None, "digest": None}}]

    position = await record(client, district, [service_delivered(second, person_times=4)])
    await report(client, district, position)
    await approve_towns(client, district, [second])
    city_returned = await _post(client, f"/v1/city/reports/2025H1/districts/{district.code}/return", bearer("city"),
                                reason="乙街道已更正，请重新报送")
    assert city_returned.status_code == 200, city_returned.text
    again = await _post(client, f"{base}/submit", staff)
    assert again.status_code == 200, again.text
    fresh = await report(client, district, again.json()["position"], version="submitted")
    assert fresh["stale_children"] == []
    assert {c["code"]: c["changed"] for c in fresh["children"]} == {first: False, second: True}
    assert fresh["figures"]["person_times"] == taken["figures"]["person_times"] + 4
