"""The villages a report's by_village names: registered ones by their name at the cutoff, free text
as unregistered with the registered village it would map to."""

import json
from datetime import date

from projections.villages_report import villages_section

TOWN, OTHER = "350203001", "350203003"


def version(code, name, valid_from, valid_to=None, aliases=(), town=TOWN):
    return {"town": town, "village": code, "name": name, "kind": "community", "valid_from": valid_from,
            "valid_to": valid_to, "aliases": json.dumps(list(aliases))}


def figure(key, town=TOWN):
    return {"town": town, "dim": "village", "key": key}


REGISTER = [version("350203001001", "沙坡尾社区", date(2024, 1, 1), aliases=["沙坡尾"]),
            version("350203001002", "大学路社区", date(2024, 1, 1)),
            version("350203001002", "大学路新社区", date(2025, 7, 1))]
FIGURES = [figure("350203001001"), figure("350203001002"), figure("沙坡尾 "), figure("东坪山社区"),
           figure("沙坡尾", OTHER), {"town": "", "dim": "village", "key": "沙坡尾"}, {"town": TOWN, "dim": "total", "key": ""}]


def test_each_key_is_named_and_old_text_is_shown_unregistered_with_its_match():
    section = villages_section(REGISTER, FIGURES, date(2025, 6, 30), None)
    assert [(v["key"], v["town"], v["name"], v["registered"], v["village"]) for v in section["by_village"]] == [
        ("350203001001", TOWN, "沙坡尾社区", True, "350203001001"),
        ("350203001002", TOWN, "大学路社区", True, "350203001002"),
        ("东坪山社区", TOWN, "东坪山社区", False, None),
        ("沙坡尾 ", TOWN, "沙坡尾 ", False, "350203001001"),
        ("沙坡尾", OTHER, "沙坡尾", False, None),  # another town's text never maps to this town's village
    ]


def test_a_renamed_village_is_named_as_it_was_at_the_cutoff():
    for cutoff, name in ((date(2025, 6, 30), "大学路社区"), (date(2025, 7, 1), "大学路新社区")):
        named = {v["key"]: v["name"] for v in villages_section(REGISTER, FIGURES, cutoff, TOWN)["by_village"]}
        assert named["350203001002"] == name
        assert [(v["village"], v["name"]) for v in villages_section(REGISTER, [], cutoff, TOWN)["registered"]] == [
            ("350203001001", "沙坡尾社区"), ("350203001002", name)]


def test_a_village_not_yet_registered_at_the_cutoff_is_not_in_its_register():
    assert villages_section(REGISTER, [], date(2023, 12, 31), None)["registered"] == []
    assert villages_section(REGISTER, [], date(2025, 6, 30), OTHER) == {"registered": [], "by_village": []}
