"""The batch decision for what the guide asks the records to hold: the provider's credit code, fund
lines by level, district purchases for several towns, key recipients, the final evaluation's focus,
the sign, the district's register of villages and the funds it secures."""

import pytest
from pydantic import ValidationError

from domain.errors import BatchForbidden
from domain.decisions import decide
from domain.events import stream_id
from domain.funding import BudgetAllocation
from domain.villages import VillageRegistry, spelling
from tests.unit.support import (
    SIMING, XIAGANG, ZHONGHUA, History, allocation, contract, context, final_evaluation, linked_figures,
    provider_exit, self_evaluation, service, signboard, spend, station, village, void,
)

SHARED = [{"town": XIAGANG, "amount": "2000.00"}, {"town": ZHONGHUA, "amount": "1000.00"}]


@pytest.fixture
def history() -> History:
    history = History()
    history.write(station(), station(ZHONGHUA))
    return history


def shared(**kw):
    return contract(town=None, towns=SHARED, **kw)


# -- the provider's unified social credit code -------------------------------------------------

def test_a_new_contract_names_the_provider_s_credit_code(history):
    problem = history.problem(contract(provider={"name": "某社工服务中心", "kind": "social_organization"}))
    assert problem.field == "provider.credit_code" and "统一社会信用代码" in problem.zh


# -- fund lines by level ------------------------------------------------------------------------

def test_a_source_may_be_drawn_at_both_levels_and_spending_then_names_its_level(history):
    both = contract(funds=[{"source": "elderly_care", "amount": "2000.00"},
                           {"source": "elderly_care", "level": "allocated", "amount": "1000.00"}])
    history.write(both)
    assert history.problem(spend(both.project, "10.00")).field == "level"
    [event] = history.write(spend(both.project, "1000.00", level="allocated"))
    assert event.level == "allocated"
    assert "balance of 0.00" in history.problem(spend(both.project, "0.01", level="allocated")).en
    assert history.write(spend(both.project, "2000.00", level="own"))


def test_spending_on_a_source_s_only_line_takes_its_level(history):
    record = contract(funds=[{"source": "elderly_care", "level": "allocated", "amount": "3000.00"}])
    history.write(record)
    [event] = history.write(spend(record.project, "5.00"))
    assert event.level == "allocated"
    assert history.problem(spend(record.project, "5.00", level="own")).field == "level"


# -- a district purchase for several towns (区统筹购买) -------------------------------------------

def test_a_shared_contract_covers_its_towns(history):
    record = shared()
    [event] = history.write(record)
    assert event.town is None
    assert [(share["town"], str(share["amount"])) for share in event.towns] == [(s["town"], s["amount"]) for s in SHARED]
    assert history.write(service(project=record.project), service(ZHONGHUA, project=record.project))
    assert history.write(self_evaluation(record.project))


def test_a_shared_contract_s_towns_are_of_the_district(history):
    towns = [{"town": XIAGANG, "amount": "2000.00"}, {"town": "350206001", "amount": "1000.00"}]
    assert history.problem(contract(town=None, towns=towns)).field == "towns.1.town"


def test_only_the_district_buys_for_several_towns(history):
    with pytest.raises(BatchForbidden):
        decide([shared()], context(town_scope=XIAGANG), history)


def test_spending_on_a_shared_project_names_a_town_within_its_share(history):
    record = shared()
    history.write(record)
    assert history.problem(spend(record.project, "10.00")).field == "town"
    assert history.problem(spend(record.project, "10.00", town="350203002")).field == "town"
    [event] = history.write(spend(record.project, "1000.00", town=ZHONGHUA, source="social_assistance"))
    assert event.town == ZHONGHUA
    assert "share" in history.problem(spend(record.project, "0.01", town=ZHONGHUA)).en
    assert history.write(spend(record.project, "2000.00", town=XIAGANG))


def test_spending_on_a_town_s_project_may_name_its_town_only(history):
    record = contract()
    history.write(record)
    assert history.write(spend(record.project, town=XIAGANG))
    assert history.problem(spend(record.project, town=ZHONGHUA)).field == "town"


def test_a_station_acts_on_a_shared_project_that_covers_its_town(history):
    record = shared()
    history.write(record)
    evaluation = self_evaluation(record.project)
    assert decide([evaluation], context(town_scope=ZHONGHUA), history)
    with pytest.raises(BatchForbidden):
        decide([self_evaluation(record.project)], context(town_scope="350203002"), history)


def test_a_successor_covers_the_towns_of_the_project_it_succeeds(history):
    record, single = shared(), contract()
    history.write(record, single)
    assert history.problem(provider_exit(record.project, successor_project=single.project)).field == "successor_project"
    successor = shared(contract_start="2025-06-01")
    history.write(successor)
    assert history.write(provider_exit(record.project, successor_project=successor.project))


def test_linked_figures_may_name_a_shared_linked_project_of_their_town(history):
    record = shared(role="linked")
    history.write(record)
    assert history.write(linked_figures(ZHONGHUA, project=record.project))


# -- the sign, key recipients and the final evaluation's focus ---------------------------------------

def test_the_sign_s_emblem_position_and_style_are_recorded(history):
    [event] = history.write(signboard(emblem=True, position="outside_prominent", uniform_style=True))
    assert (event.emblem, event.position, event.uniform_style) == (True, "outside_prominent", True)


def test_a_core_contract_names_its_key_recipients(history):
    [event] = history.write(contract(key_recipients=["living_alone_elderly", "extreme_poverty"]))
    assert event.key_recipients == ["living_alone_elderly", "extreme_poverty"]


def test_a_final_evaluation_scores_its_focus_areas(history):
    record = contract()
    history.write(record)
    focus = [{"area": "service_effect", "score": "90"}, {"area": "station_operation", "score": "85.5"}]
    [event] = history.write(final_evaluation(record.project, focus=focus))
    assert [(f["area"], str(f["score"])) for f in event.focus] == [("service_effect", "90.00"),
                                                                    ("station_operation", "85.50")]


# -- villages ----------------------------------------------------------------------------------------

def test_a_village_is_registered_in_its_town_s_register(history):
    [event] = history.write(village())
    assert event.originator_id == stream_id(SIMING, "villages", XIAGANG)
    assert isinstance(history.load(event.originator_id), VillageRegistry)


def test_a_service_in_a_registered_town_counts_under_its_village_s_code(history):
    history.write(village(aliases=["沙坡尾"]))
    for text in ("沙坡尾社区", "沙坡尾", " 沙坡尾 社区 ", "350203001001", "沙坡尾社区\u3000"):
        [event] = history.write(service(village=text))
        assert (event.village, event.village_code, event.village_key) == (text.strip(), "350203001001",
                                                                           "350203001001")


def test_a_service_naming_no_registered_village_is_refused(history):
    history.write(village())
    problem = history.problem(service(village="大学路社区"))
    assert problem.field == "village" and "未在本镇(街道)登记" in problem.zh


def test_a_town_without_a_register_keeps_the_free_text(history):
    history.write(village())
    [event] = history.write(service(ZHONGHUA, village="任意社区"))
    assert (event.village_code, event.village_key) == (None, "任意社区")


def test_a_register_counts_from_its_village_s_first_day(history):
    history.write(village(valid_from="2025-04-01"))
    [before] = history.write(service(village="大学路社区", occurred_on="2025-03-31"))
    assert before.village_key == "大学路社区"
    assert history.problem(service(village="大学路社区", occurred_on="2025-04-01")).field == "village"


def test_a_rename_is_a_later_version_that_ends_the_one_before(history):
    history.write(village(valid_from="2025-01-01"), village(name="沙坡尾新社区", valid_from="2025-05-01"))
    [old] = history.write(service(village="沙坡尾社区", occurred_on="2025-04-30"))
    assert old.village_code == "350203001001"
    assert history.problem(service(village="沙坡尾社区", occurred_on="2025-05-01")).field == "village"
    [new] = history.write(service(village="沙坡尾新社区", occurred_on="2025-05-01"))
    assert new.village_code == "350203001001"
    assert history.problem(village(valid_from="2025-03-01")).field == "valid_from"


def test_two_villages_of_a_town_never_share_a_name_at_one_time(history):
    history.write(village(aliases=["沙坡尾"], valid_to="2025-03-31"))
    assert history.problem(village("350203001002", name="沙坡尾")).field == "name"
    assert history.write(village("350203001002", name="沙坡尾", valid_from="2025-04-01"))


def test_a_village_code_begins_with_its_town_s():
    with pytest.raises(ValidationError, match="village code must begin"):
        village("350203002001")


def test_only_the_district_registers_villages_and_a_station_cannot_void_them(history):
    with pytest.raises(BatchForbidden):
        decide([village()], context(town_scope=XIAGANG), history)
    registered = village()
    history.write(registered)
    with pytest.raises(BatchForbidden):
        decide([void(registered.id)], context(town_scope=XIAGANG), history)


def test_a_voided_registration_frees_its_name(history):
    registered = village()
    history.write(registered, void(registered.id))
    [event] = history.write(service(village="大学路社区"))
    assert event.village_code is None


def test_spellings_fold_width_and_spaces():
    assert spelling(" 沙坡尾\u3000社区 ") == spelling("沙坡尾社区") == "沙坡尾社区"
    assert spelling("ＡＢ村") == "AB村"


# -- the funds the district secures for the year (资金保障) ------------------------------------------

def test_the_district_records_the_funds_it_secures(history):
    [event] = history.write(allocation())
    assert isinstance(history.load(event.originator_id), BudgetAllocation)
    assert [(line["source"], line["level"]) for line in event.lines] == [("elderly_care", "own"),
                                                                          ("social_assistance", "allocated")]


def test_funds_are_secured_for_this_year_or_the_next_by_the_district_only(history):
    assert history.problem(allocation(year=2027)).field == "year"
    with pytest.raises(BatchForbidden):
        decide([allocation()], context(town_scope=XIAGANG), history)
