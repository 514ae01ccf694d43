"""The shape of the fields the guide's requirements added to the records, and of the new record types:
optional on the wire with their defaults, each consistent on its own."""

import pytest
from pydantic import ValidationError

from domain.records import parse_record
from tests.unit.test_records import STORED_BEFORE, valid

SHARES = [{"town": "350203001", "amount": "200000.00"}, {"town": "350203003", "amount": "100000.00"}]


def rejects(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_record(data)


def test_the_added_fields_are_optional_and_say_their_defaults():
    sign = parse_record(valid("signboard_hung"))
    assert (sign.emblem, sign.position, sign.uniform_style) == (None, None, None)
    contract = parse_record(valid("project_contracted"))
    assert [line.level for line in contract.funds] == ["own", "own"]
    assert (contract.towns, contract.key_recipients) == (None, None)
    spent = parse_record(valid("fund_spent"))
    assert (spent.town, spent.level) == (None, None)
    assert parse_record(valid("final_evaluation_done")).focus is None


def test_a_sign_position_is_a_vocabulary_code():
    assert parse_record(valid("signboard_hung", position="outside_prominent")).position == "outside_prominent"
    rejects(valid("signboard_hung", position="door"), "position")
    rejects(valid("signboard_hung", emblem="yes"), "emblem")


def test_a_fund_line_is_own_or_allocated_and_listed_once_per_level():
    both = [{"source": "elderly_care", "amount": "200000.00"},
            {"source": "elderly_care", "level": "allocated", "amount": "100000.00"}]
    assert [line.level for line in parse_record(valid("project_contracted", funds=both)).funds] == ["own", "allocated"]
    twice = [{"source": "elderly_care", "amount": "200000.00"}, {"source": "elderly_care", "amount": "100000.00"}]
    rejects(valid("project_contracted", funds=twice), "listed twice at one level")
    rejects(valid("project_contracted", funds=[{"source": "elderly_care", "level": "city", "amount": "300000.00"}]),
            "level")


def test_a_planned_project_draws_a_source_once_per_level_and_an_old_plan_hashes_as_it_did():
    item = valid("purchase_plan_drafted")["projects"][0]
    both = [{"source": "elderly_care", "amount": "200000.00"},
            {"source": "elderly_care", "level": "allocated", "amount": "100000.00"}]
    plan = parse_record(valid("purchase_plan_drafted", projects=[{**item, "funds": both}]))
    assert [line.level for line in plan.projects[0].funds] == ["own", "allocated"]
    twice = [{**both[0], "level": "allocated"}, both[1]]
    rejects(valid("purchase_plan_drafted", projects=[{**item, "funds": twice}]), "listed twice")
    old = next(r for r in STORED_BEFORE.values() if r["type"] == "purchase_plan_drafted")
    explicit = {**old, "projects": [{**p, "funds": [{**line, "level": "own"} for line in p["funds"]]}
                                    for p in old["projects"]]}
    assert parse_record(explicit).content_hash() == parse_record(old).content_hash()


def test_a_district_purchase_names_its_towns_with_shares_adding_up():
    shared = parse_record(valid("project_contracted", town=None, towns=SHARES, purchaser_kind="district_bureau"))
    assert (shared.town, [share.town for share in shared.towns]) == (None, ["350203001", "350203003"])
    rejects(valid("project_contracted", towns=SHARES, purchaser_kind="district_bureau"), "either town or towns")
    rejects(valid("project_contracted", town=None), "either town or towns")
    rejects(valid("project_contracted", town=None, towns=SHARES[:1], purchaser_kind="district_bureau"), "towns")
    rejects(valid("project_contracted", town=None, towns=[SHARES[0], {**SHARES[1], "amount": "1.00"}],
                  purchaser_kind="district_bureau"), "shares must add up")
    rejects(valid("project_contracted", town=None, towns=[SHARES[0], {**SHARES[0], "amount": "100000.00"}],
                  purchaser_kind="district_bureau"), "a town is listed twice")
    rejects(valid("project_contracted", town=None, towns=SHARES), "only the district bureau buys for several towns")


def test_key_recipients_are_a_core_project_s_and_named_once():
    core = parse_record(valid("project_contracted", key_recipients=["orphan", "extreme_poverty"]))
    assert core.key_recipients == ["orphan", "extreme_poverty"]
    rejects(valid("project_contracted", role="linked", key_recipients=["orphan"]), "only a core project")
    rejects(valid("project_contracted", key_recipients=["orphan", "orphan"]), "listed twice")
    rejects(valid("project_contracted", key_recipients=[]), "key_recipients")


def test_a_final_evaluation_scores_each_focus_area_once():
    focus = [{"area": "service_effect", "score": "91"}, {"area": "station_operation", "score": 88.5}]
    assert len(parse_record(valid("final_evaluation_done", focus=focus)).focus) == 2
    rejects(valid("final_evaluation_done", focus=[focus[0], focus[0]]), "focus area is listed twice")
    rejects(valid("final_evaluation_done", focus=[{"area": "effect", "score": "91"}]), "area")
    rejects(valid("final_evaluation_done", focus=[{"area": "service_effect", "score": "101"}]), "score")


def test_a_village_is_registered_with_a_code_of_its_town_and_dates_in_order():
    village = parse_record(valid("village_registered", aliases=["沙坡尾"], valid_to="2026-12-31"))
    assert (village.village, village.aliases) == ("350203001001", ["沙坡尾"])
    rejects(valid("village_registered", village="35020300100"), "village")
    rejects(valid("village_registered", valid_to="2024-12-31"), "valid_to is before valid_from")
    rejects(valid("village_registered", kind="hamlet"), "kind")
    rejects(valid("village_registered", aliases=["联系电话13912345678"]), "mobile number")


def test_funds_secured_are_listed_once_per_line_and_level():
    line = {"source": "elderly_care", "level": "own", "amount": "1.00"}
    assert len(parse_record(valid("budget_allocated", lines=[line, {**line, "level": "allocated"}])).lines) == 2
    rejects(valid("budget_allocated", lines=[line, line]), "a fund line is listed twice")
    rejects(valid("budget_allocated", lines=[{"source": "elderly_care", "amount": "1.00"}]), "level")
    rejects(valid("budget_allocated", document="联系电话13912345678"), "mobile number")
