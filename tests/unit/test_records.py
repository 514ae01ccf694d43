"""The shape of each record type and of a batch: vocabulary codes, required and unknown
fields, the consistency a record must have on its own, and the batch size."""

import hashlib
import json
from datetime import date

import pytest
from pydantic import ValidationError

from domain.records import MAX_BATCH, RECORD_TYPES, RecordBatch, parse_record
from domain.vocabulary import codes
from tests.builders import training_held


# -- builders: one valid record of each type, as a client sends it ---------------------------

def valid(type_: str, **kw) -> dict:
    base = {
        "station_established": {"town": "350203001", "host_facility": "party_mass_service_center",
                                "address": "民族路1号", "established_on": "2025-01-10"},
        "signboard_hung": {"town": "350203001", "text": "思明区厦港街道民政服务站", "hung_on": "2025-01-15"},
        "equipment_recorded": {"town": "350203001", "item": "computer", "quantity": 2, "recorded_on": "2025-01-16"},
        "staff_assigned": {"town": "350203001", "person_ref": "S-0001", "role": "station_head",
                           "assigned_on": "2025-01-20"},
        "staff_released": {"town": "350203001", "person_ref": "S-0001", "released_on": "2025-05-20"},
        "rules_adopted": {"town": "350203001", "category": "archive", "posted_on_wall": False,
                          "adopted_on": "2025-01-21"},
        "project_contracted": {
            "project": "P-350203001-2025", "town": "350203001", "role": "core", "name": "关爱独居老人项目",
            "purchaser_kind": "town_government",
            "provider": {"name": "某社工服务中心", "kind": "enterprise", "credit_code": "91350200YUYU122BT0"},
            "method": "inquiry", "amount": "300000.00", "contract_start": "2025-01-01", "contract_end": "2025-12-31",
            "funds": [{"source": "elderly_care", "amount": "200000.00"},
                      {"source": "social_assistance", "amount": "100000.00"}],
            "domains": ["elderly_care", "social_assistance"]},
        "service_delivered": {"town": "350203001", "occurred_on": "2025-03-18", "domain": "elderly_care",
                              "service_type": "visit", "recipient_category": "living_alone_elderly",
                              "recipient_ref": "R-7f3a9c21", "hours": "1.5"},
        "fund_spent": {"project": "P-1", "occurred_on": "2025-04-01", "source": "elderly_care",
                       "amount": "1250.50", "purpose": "上门探访交通费"},
        "inspection_done": {"town": "350203001", "occurred_on": "2025-03-01", "kind": "spot_check",
                            "scopes": ["execution"], "by": "city", "findings": "台账不全", "issues_found": True},
        "rectification_done": {"inspection": "in-1", "occurred_on": "2025-04-01", "note": "已补齐台账"},
        "self_evaluation_submitted": {"project": "P-1", "contract_year": 1, "submitted_on": "2025-06-15",
                                      "summary": "按期推进"},
        "final_evaluation_done": {"project": "P-1", "contract_year": 1, "evaluator": "purchaser",
                                  "evaluator_name": "思明区民政局", "score": "92.5", "grade": "优秀",
                                  "done_on": "2025-06-20"},
        "purchase_plan_drafted": {
            "year": 2025, "projects": [{
                "project": "P-350203001-2025", "town": "350203001", "role": "core", "name": "关爱独居老人项目",
                "domains": ["elderly_care"], "amount": "300000.00",
                "funds": [{"source": "elderly_care", "amount": "300000.00"}], "purchaser_kind": "district_bureau",
                "method": "open_tender", "self_evaluation_on": "2025-06-30", "final_evaluation_on": "2025-12-20",
                "evaluator": "third_party"}],
            "exit_conditions": [{"condition": "evaluation_failed", "description": "期末评估不合格的，更换承接方"}],
            "emergency_plan": {"document": "思民〔2025〕12号", "dated_on": "2025-01-05"}},
        "provider_exited": {"project": "P-1", "condition": "provider_withdrew", "reason": "主动申请退出",
                            "exited_on": "2025-05-31"},
        "linked_figures_collected": {"town": "350203001", "period": "2025H1", "name": "困境儿童关爱项目",
                                     "purchaser": "区妇联", "domain": "child_welfare", "people_served": 40,
                                     "amount": "5000.00", "collected_on": "2025-06-25"},
        "progress_reported": {"town": "350203001", "reported_on": "2025-04-30", "summary": "按计划推进"},
        "problem_resolved": {"progress": "pr-1", "problem": "P1", "resolved_on": "2025-05-15", "note": "已协调"},
        "village_registered": {"town": "350203001", "village": "350203001001", "name": "沙坡尾社区",
                               "kind": "community", "valid_from": "2025-01-01"},
        "budget_allocated": {"year": 2025, "lines": [{"source": "elderly_care", "level": "own", "amount": "5000.00"}],
                             "document": "思财〔2025〕8号", "allocated_on": "2025-01-08"},
        "record_voided": {"record": "svc-1", "reason": "录入错误"},
    }[type_]
    return {"id": f"{type_}-1", "type": type_, **base, **kw}


ALL_TYPES = ["station_established", "signboard_hung", "equipment_recorded", "staff_assigned", "staff_released",
             "rules_adopted", "project_contracted", "service_delivered", "fund_spent", "inspection_done",
             "rectification_done", "self_evaluation_submitted", "final_evaluation_done", "purchase_plan_drafted",
             "provider_exited", "linked_figures_collected", "progress_reported", "problem_resolved",
             "village_registered", "budget_allocated", "record_voided"]
CITY_TYPES = ["training_held"]  # the city's own records, in its own batches


@pytest.mark.parametrize("sent", [*(valid(t) for t in ALL_TYPES), training_held("350203001"),
                                  valid("service_delivered", project="P-1", village="一村", person_times=3)],
                         ids=lambda sent: sent["type"])
def test_content_hash_and_fields_are_those_of_the_records_json_dump(sent):
    record = RECORD_TYPES[sent["type"]].model_validate(sent)
    content = without_added_defaults(record.model_dump(mode="json"))
    dumped = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert record.content_hash() == hashlib.sha256(dumped.encode()).hexdigest()
    assert record.fields() == record.model_dump(exclude={"id", "type"})


# Fields added after records were stored, at their defaults: left out of the hash. A fund line's
# level, in a contract's funds or a plan's projects' funds, defaults to "own".
ADDED_DEFAULTS = {"signboard_hung": {"emblem": None, "position": None, "uniform_style": None},
                  "project_contracted": {"towns": None, "key_recipients": None},
                  "fund_spent": {"town": None, "level": None}, "final_evaluation_done": {"focus": None}}


def without_added_defaults(content: dict) -> dict:
    content = {k: v for k, v in content.items() if ADDED_DEFAULTS.get(content["type"], {}).get(k, "") != v}
    if content["type"] == "project_contracted":
        content["funds"] = [{k: v for k, v in f.items() if (k, v) != ("level", "own")} for f in content["funds"]]
    if content["type"] == "purchase_plan_drafted":
        content["projects"] = [p | {"funds": [{k: v for k, v in f.items() if (k, v) != ("level", "own")}
                                             for f in p["funds"]]} for p in content["projects"]]
    return content


# The hashes of records as they were stored before fields were added to their types (computed by the
# code of commit 273320b): a record stored then and sent again must still be a duplicate.
STORED_BEFORE = {
    "a89e6ffadef24d14d36d6d61d4a6fdeaf2b0b78ea897760e9795ff1b991860d4": {
        "id": "pc-old-1", "type": "project_contracted", "project": "P-old-1", "town": "350203001", "role": "core",
        "name": "关爱独居老人项目", "purchaser_kind": "district_bureau",
        "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization"}, "method": "open_tender",
        "amount": "3000.00", "contract_start": "2025-01-01", "contract_end": "2025-12-31",
        "funds": [{"source": "elderly_care", "amount": "2000.00"}, {"source": "social_assistance", "amount": "1000.00"}],
        "domains": ["elderly_care", "social_assistance"]},
    "2c3e84d3facd364b9984de8c2896e16807f40282d2b18e1ba71d05280a4dd801": {
        "id": "sg-old-1", "type": "signboard_hung", "town": "350203001", "text": "思明区厦港街道民政服务站",
        "hung_on": "2025-01-15"},
    "d342fde1013c471d6b04d0fc98367eaf31dadece9083ed50836321beb730cf4b": {
        "id": "fe-old-1", "type": "final_evaluation_done", "project": "P-old-1", "contract_year": 1,
        "evaluator": "third_party", "evaluator_name": "厦门市某评估机构", "score": "92.5", "grade": "优秀",
        "done_on": "2025-06-20"},
    "588179a5b0f26591e7553de4d01c780c330459a8bcce982ba00329189717baa4": {
        "id": "fs-old-1", "type": "fund_spent", "project": "P-old-1", "occurred_on": "2025-04-01",
        "source": "elderly_care", "amount": "100.00", "purpose": "上门探访交通费"},
    "2abbb1c6a3eae925fed48f4c93e82f3bf609276011476422c03c8dac1b4fea3c": {
        "id": "svc-old-1", "type": "service_delivered", "town": "350203001", "occurred_on": "2025-03-18",
        "domain": "elderly_care", "service_type": "visit", "recipient_category": "living_alone_elderly",
        "recipient_ref": "R-7f3a9c21", "hours": "1.5", "village": "沙坡尾社区"},
    "926b4e0451e0202ef6154ce9792c7c8b2b9d6428ba333bdd2d967d1e8527c56d": {
        "id": "plan-old-1", "type": "purchase_plan_drafted", "year": 2025, "projects": [{
            "project": "P-old-1", "town": "350203001", "role": "core", "name": "关爱独居老人项目",
            "domains": ["elderly_care"], "amount": "3000.00",
            "funds": [{"source": "elderly_care", "amount": "2000.00"}, {"source": "social_assistance", "amount": "1000.00"}],
            "purchaser_kind": "district_bureau", "method": "open_tender", "self_evaluation_on": "2025-06-30",
            "final_evaluation_on": "2025-12-20", "evaluator": "third_party"}],
        "exit_conditions": [{"condition": "evaluation_failed", "description": "期末评估不合格的，更换承接方"}],
        "emergency_plan": {"document": "思民〔2025〕12号", "dated_on": "2025-01-05"}},
}


@pytest.mark.parametrize("stored_hash", STORED_BEFORE, ids=lambda h: STORED_BEFORE[h]["type"])
def test_a_record_stored_before_fields_were_added_hashes_as_it_did(stored_hash):
    assert parse_record(STORED_BEFORE[stored_hash]).content_hash() == stored_hash


def test_an_added_field_sent_at_its_default_hashes_as_if_omitted():
    contract = STORED_BEFORE["a89e6ffadef24d14d36d6d61d4a6fdeaf2b0b78ea897760e9795ff1b991860d4"]
    explicit = {**contract, "funds": [{**line, "level": "own"} for line in contract["funds"]]}
    assert parse_record(explicit).content_hash() == parse_record(contract).content_hash()
    allocated = {**contract, "funds": [{**contract["funds"][0], "level": "allocated"}, contract["funds"][1]]}
    assert parse_record(allocated).content_hash() != parse_record(contract).content_hash()
    sign = STORED_BEFORE["2c3e84d3facd364b9984de8c2896e16807f40282d2b18e1ba71d05280a4dd801"]
    assert parse_record({**sign, "emblem": None}).content_hash() == parse_record(sign).content_hash()
    assert parse_record({**sign, "emblem": True}).content_hash() != parse_record(sign).content_hash()


def rejects(data: dict, field: str | None = None) -> None:
    """The record is rejected, and (if given) an error names `field`."""
    with pytest.raises(ValidationError) as caught:
        parse_record(data)
    if field is not None:
        locations = [e["loc"] for e in caught.value.errors()]
        assert any(field in loc for loc in locations), locations


def without(data: dict, field: str) -> dict:
    return {k: v for k, v in data.items() if k != field}


# -- every type -----------------------------------------------------------------------------

def test_the_record_types_are_the_districts_and_the_citys():
    assert sorted(RECORD_TYPES) == sorted(ALL_TYPES + CITY_TYPES)


@pytest.mark.parametrize("type_", ALL_TYPES)
def test_each_valid_record_parses_to_its_type(type_):
    record = parse_record(valid(type_))
    assert type(record) is RECORD_TYPES[type_] and record.type == type_


@pytest.mark.parametrize("type_", ALL_TYPES)
def test_unknown_field_is_rejected(type_):
    rejects(valid(type_, remark="x"), "remark")


@pytest.mark.parametrize("type_", ALL_TYPES)
def test_missing_id_is_rejected(type_):
    rejects(without(valid(type_), "id"), "id")


# A contract names its town, or the towns of a district purchase (`towns`): either may be left out.
@pytest.mark.parametrize("type_,field", [(t, f) for t in ALL_TYPES for f in valid(t) if f not in ("id", "type")
                                         and (t, f) != ("project_contracted", "town")])
def test_every_listed_field_is_required(type_, field):
    rejects(without(valid(type_), field), field)


@pytest.mark.parametrize("type_", ["bogus", "Station_Established", "", None])
def test_unknown_record_type_is_rejected(type_):
    rejects({**valid("service_delivered"), "type": type_})


def test_records_are_frozen():
    record = parse_record(valid("service_delivered"))
    with pytest.raises(ValidationError):
        record.hours = 3


def test_fields_exclude_id_and_type():
    fields = parse_record(valid("record_voided")).fields()
    assert fields == {"record": "svc-1", "reason": "录入错误"}


def test_content_hash_tells_different_content_apart():
    a = parse_record(valid("fund_spent"))
    assert a.content_hash() == parse_record(valid("fund_spent")).content_hash()
    assert a.content_hash() != parse_record(valid("fund_spent", purpose="交通费")).content_hash()
    assert a.content_hash() != parse_record(valid("fund_spent", id="fund_spent-2")).content_hash()


def test_content_hash_is_the_same_for_equal_money_written_differently():
    assert (parse_record(valid("fund_spent", amount="1250.5")).content_hash()
            == parse_record(valid("fund_spent", amount="1250.50")).content_hash())


def test_content_hash_is_the_same_for_an_omitted_or_null_optional_field():
    assert (parse_record(valid("service_delivered")).content_hash()
            == parse_record(valid("service_delivered", project=None, village=None)).content_hash())


def test_content_hash_is_the_same_for_equal_text_in_other_unicode_forms():
    assert (parse_record(valid("fund_spent", purpose="Caf\u00e9")).content_hash()
            == parse_record(valid("fund_spent", purpose=" Cafe\u0301 ")).content_hash())


# -- vocabulary codes -----------------------------------------------------------------------

CODED = [  # (type, field, vocabulary group, how to put a code in the record)
    ("station_established", "host_facility", "host_facility", lambda c: c),
    ("equipment_recorded", "item", "equipment", lambda c: c),
    ("staff_assigned", "role", "staff_role", lambda c: c),
    ("rules_adopted", "category", "rule_category", lambda c: c),
    ("project_contracted", "role", "project_role", lambda c: c),
    ("project_contracted", "purchaser_kind", "purchaser_kind", lambda c: c),
    ("project_contracted", "method", "procurement_method", lambda c: c),
    ("project_contracted", "domains", "service_domain", lambda c: [c]),
    ("service_delivered", "domain", "service_domain", lambda c: c),
    ("service_delivered", "service_type", "service_type", lambda c: c),
    ("service_delivered", "recipient_category", "recipient_category", lambda c: c),
    ("fund_spent", "source", "fund_source", lambda c: c),
    ("inspection_done", "kind", "inspection_kind", lambda c: c),
    ("inspection_done", "scopes", "inspection_scope", lambda c: [c]),
    ("final_evaluation_done", "evaluator", "evaluator", lambda c: c),
]


@pytest.mark.parametrize("type_,field,group,put", CODED, ids=[f"{t}.{f}" for t, f, _, _ in CODED])
def test_every_code_of_the_vocabulary_is_accepted(type_, field, group, put):
    for code in codes(group):
        record = parse_record(valid(type_, **{field: put(code)}))
        assert getattr(record, field) == put(code)


@pytest.mark.parametrize("type_,field,group,put", CODED, ids=[f"{t}.{f}" for t, f, _, _ in CODED])
def test_a_code_outside_the_vocabulary_is_rejected(type_, field, group, put):
    rejects(valid(type_, **{field: put("bogus")}), field)


def test_domain_elderly_care_ok_and_bogus_rejected():
    assert parse_record(valid("service_delivered", domain="elderly_care")).domain == "elderly_care"
    rejects(valid("service_delivered", domain="bogus"), "domain")


def test_code_is_not_its_chinese_label():
    rejects(valid("service_delivered", domain="老龄和养老"), "domain")


def test_fund_source_is_not_a_service_domain():
    # charity is a service domain, but there is no charity budget line
    rejects(valid("fund_spent", source="charity"), "source")


def test_provider_kind_from_the_vocabulary():
    rejects(valid("project_contracted", provider={"name": "某中心", "kind": "bogus"}), "kind")


# -- other fields of one record -------------------------------------------------------------

@pytest.mark.parametrize("town", ["35020300", "3502030010", "35020300a", 350203001])
def test_town_is_a_nine_digit_code(town):
    rejects(valid("station_established", town=town), "town")


@pytest.mark.parametrize("quantity", [0, -1, "2", 2.0, True, 1_000_001])
def test_equipment_quantity_is_a_whole_positive_number(quantity):
    rejects(valid("equipment_recorded", quantity=quantity), "quantity")


def test_person_times_defaults_to_one():
    assert parse_record(valid("service_delivered")).person_times == 1
    assert parse_record(valid("service_delivered", person_times=3)).person_times == 3
    rejects(valid("service_delivered", person_times=0), "person_times")


def test_service_project_and_village_are_optional():
    record = parse_record(valid("service_delivered"))
    assert record.project is None and record.village is None


@pytest.mark.parametrize("flag", ["true", 1, "yes", None])
def test_posted_on_wall_is_a_json_boolean(flag):
    rejects(valid("rules_adopted", posted_on_wall=flag), "posted_on_wall")


@pytest.mark.parametrize("year", [0, 31, "1", 1.0, True])
def test_contract_year_is_a_whole_number_from_1_to_30(year):
    rejects(valid("self_evaluation_submitted", contract_year=year), "contract_year")
    rejects(valid("final_evaluation_done", contract_year=year), "contract_year")


def test_final_evaluation_needs_a_score_self_evaluation_does_not():
    assert parse_record(valid("self_evaluation_submitted")).score is None
    rejects(without(valid("final_evaluation_done"), "score"), "score")


# -- project_contracted: its funds, sources, domains and term --------------------------------

def funds(*lines):
    return [{"source": s, "amount": a} for s, a in lines]


def test_project_funds_adding_up_to_the_amount_are_accepted():
    record = parse_record(valid("project_contracted", amount="300.50",
                                funds=funds(("elderly_care", "200.25"), ("place_names", "100.25"))))
    assert sum(f.amount for f in record.funds) == record.amount


@pytest.mark.parametrize("amount", ["300000.01", "299999.99"])
def test_project_funds_not_adding_up_to_the_amount_are_rejected(amount):
    rejects(valid("project_contracted", amount=amount))


def test_project_funds_are_compared_as_money_not_as_text():
    record = parse_record(valid("project_contracted", amount="300",
                                funds=funds(("elderly_care", "100.5"), ("child_welfare", "199.50"))))
    assert str(record.amount) == "300.00"


def test_project_fund_source_listed_twice_is_rejected():
    rejects(valid("project_contracted", amount="300.00",
                  funds=funds(("elderly_care", "100.00"), ("elderly_care", "200.00"))))


def test_project_needs_one_to_six_fund_lines():
    rejects(valid("project_contracted", funds=[]), "funds")
    all_six = funds(*[(s, "1.00") for s in codes("fund_source")])
    assert len(parse_record(valid("project_contracted", amount="6.00", funds=all_six)).funds) == 6


def test_project_fund_line_amount_is_money():
    rejects(valid("project_contracted", amount="300.00", funds=[{"source": "elderly_care", "amount": 300}]), "amount")
    rejects(valid("project_contracted", amount="300.00", funds=funds(("elderly_care", "0"))), "amount")


def test_project_fund_line_has_no_unknown_fields():
    rejects(valid("project_contracted", amount="300.00",
                  funds=[{"source": "elderly_care", "amount": "300.00", "note": "x"}]), "note")


def test_project_domain_listed_twice_is_rejected():
    rejects(valid("project_contracted", domains=["elderly_care", "elderly_care"]))


def test_project_needs_at_least_one_domain():
    rejects(valid("project_contracted", domains=[]), "domains")


def test_project_contract_ending_on_its_start_day_is_accepted():
    record = parse_record(valid("project_contracted", contract_start="2025-01-01", contract_end="2025-01-01"))
    assert record.contract_end == record.contract_start


def test_project_contract_ending_before_it_starts_is_rejected():
    rejects(valid("project_contracted", contract_start="2025-01-01", contract_end="2024-12-31"))


def test_project_provider_has_no_unknown_fields():
    rejects(valid("project_contracted", provider={"name": "某中心", "kind": "enterprise", "phone": "x"}), "phone")


def test_project_business_date_is_only_its_start():
    # a contract is signed for a future term: its end may lie after today
    assert parse_record(valid("project_contracted")).business_dates == {"contract_start": date(2025, 1, 1)}


# -- inspection_done: its rectification date ---------------------------------------------------

def test_inspection_with_issues_may_set_a_rectification_date():
    record = parse_record(valid("inspection_done", rectification_due="2025-04-30"))
    assert record.rectification_due == date(2025, 4, 30)


def test_inspection_rectification_due_on_the_inspection_day_is_accepted():
    assert parse_record(valid("inspection_done", rectification_due="2025-03-01")).rectification_due


def test_inspection_without_issues_may_not_set_a_rectification_date():
    rejects(valid("inspection_done", issues_found=False, rectification_due="2025-04-30"))


def test_inspection_without_issues_and_without_date_is_accepted():
    assert parse_record(valid("inspection_done", issues_found=False)).rectification_due is None


def test_inspection_rectification_due_before_the_inspection_is_rejected():
    rejects(valid("inspection_done", rectification_due="2025-02-28"))


@pytest.mark.parametrize("by", ["city", "district", "town"])
def test_inspection_by_city_district_or_town(by):
    assert parse_record(valid("inspection_done", by=by)).by == by


@pytest.mark.parametrize("by", ["province", "bogus"])
def test_inspection_by_anyone_else_is_rejected(by):
    rejects(valid("inspection_done", by=by), "by")


def test_inspection_scopes_one_to_three():
    assert len(parse_record(valid("inspection_done", scopes=["execution", "funds", "effect"])).scopes) == 3
    rejects(valid("inspection_done", scopes=[]), "scopes")


def test_inspection_business_date_is_only_its_day():
    record = parse_record(valid("inspection_done", rectification_due="2099-01-01"))
    assert record.business_dates == {"occurred_on": date(2025, 3, 1)}


@pytest.mark.parametrize("flag", ["true", 1, None])
def test_inspection_issues_found_is_a_json_boolean(flag):
    rejects(valid("inspection_done", issues_found=flag), "issues_found")


# -- batches --------------------------------------------------------------------------------

def batch_of(n: int) -> dict:
    return {"records": [valid("service_delivered", id=f"svc-{i}") for i in range(n)]}


@pytest.mark.parametrize("n", [1, MAX_BATCH])
def test_batch_of_1_to_1000_records_is_accepted(n):
    assert len(RecordBatch.model_validate(batch_of(n)).records) == n


@pytest.mark.parametrize("n", [0, MAX_BATCH + 1])
def test_batch_empty_or_over_1000_is_rejected(n):
    with pytest.raises(ValidationError):
        RecordBatch.model_validate(batch_of(n))


def test_batch_max_is_1000():
    assert MAX_BATCH == 1000


def test_batch_parses_each_record_by_its_type():
    records = RecordBatch.model_validate({"records": [valid(t) for t in ALL_TYPES]}).records
    assert [type(r) for r in records] == [RECORD_TYPES[t] for t in ALL_TYPES]


def test_batch_names_the_index_of_a_bad_record():
    data = {"records": [valid("service_delivered", id="a"), valid("service_delivered", id="b", domain="bogus")]}
    with pytest.raises(ValidationError) as caught:
        RecordBatch.model_validate(data)
    assert all(e["loc"][:2] == ("records", 1) for e in caught.value.errors())


def test_batch_has_no_unknown_fields():
    with pytest.raises(ValidationError):
        RecordBatch.model_validate({**batch_of(1), "dry_run": True})
