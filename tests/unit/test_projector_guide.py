"""Events stored before the guide's requirements were recorded stay valid: decoded as stored, they
project as they always did, marked as recorded before the rules; new events carry what was said."""

import json
from dataclasses import replace

from writes.ledger import event_mapper
from projections.projector import Projector
from tests.unit.support import History, contract, final_evaluation, service, signboard, spend, station, village

MAPPER = event_mapper()


def as_stored_before(event, *added: str):
    """The event as an older version of the service stored it: without the fields added since."""
    stored = MAPPER.to_stored_event(event)
    state = json.loads(stored.state)
    for name in added:
        state.pop(name, None)
    if "funds" in state:
        state["funds"] = [{k: v for k, v in line.items() if k != "level"} for line in state["funds"]]
    return MAPPER.to_domain_event(replace(stored, state=json.dumps(state).encode()))


def projected(*events) -> list[tuple[str, str, dict]]:
    return Projector({}, {}, {}).project(enumerate(events, start=1)).rows


def test_an_old_sign_projects_with_nothing_said_and_marked_before_the_rules():
    history = History()
    history.write(station())
    [new] = history.write(signboard(emblem=True, position="outside_prominent"))
    old = as_stored_before(new, "emblem", "position", "uniform_style")
    [(_, _, then)] = projected(old)
    [(_, _, now)] = projected(new)
    assert (then["attributes"], then["before_rules"]) == ({}, True)
    assert (now["attributes"], now["before_rules"]) == ({"emblem": True, "position": "outside_prominent"}, False)


def test_an_old_contract_projects_with_its_lines_at_the_own_level_and_marked_before_the_rules():
    history = History()
    [new] = history.write(contract())
    old = as_stored_before(new, "towns", "key_recipients")
    [(_, _, row)] = projected(old)
    assert row["before_rules"] is True and row["key_recipients"] is None and row["towns"] is None
    assert row["lines"] == [{"source": "elderly_care", "level": "own", "amount": "2000.00"},
                            {"source": "social_assistance", "level": "own", "amount": "1000.00"}]
    assert row["budget"] == {"elderly_care": "2000.00", "social_assistance": "1000.00"}
    assert projected(new)[0][2]["before_rules"] is False


def test_old_spending_is_on_the_own_line_of_its_project_s_town():
    history = History()
    [contracted] = history.write(contract())
    [new] = history.write(spend(contracted.project))
    old = as_stored_before(new, "town", "level")
    changes = Projector({}, {contracted.project: contracted.town}, {}).project([(2, old)])
    assert list(changes.funds) == [("2025H1", contracted.town, contracted.project, "elderly_care", "own")]


def test_an_old_final_evaluation_has_no_focus_and_is_marked_before_the_rules():
    history = History()
    [contracted] = history.write(contract())
    [new] = history.write(final_evaluation(contracted.project))
    [(_, _, row)] = projected(as_stored_before(new, "focus"))
    assert (row["focus"], row["before_rules"]) == (None, True)


def test_an_old_service_counts_under_its_text_and_a_new_one_under_its_village_s_code():
    history = History()
    history.write(station(), village())
    [new] = history.write(service(village="沙坡尾社区"))
    old = as_stored_before(new, "village_code")
    assert Projector({}, {}, {}).project([(1, old)]).services[0][6] == "沙坡尾社区"
    assert Projector({}, {}, {}).project([(1, new)]).services[0][6] == "350203001001"
