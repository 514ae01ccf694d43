"""A district's sections at the cut: each town's part from its approved version, the district's own
as they are."""

from projections.cut_sections import sections_at_the_cut

A, B, SHARED = "350203001", "350203002", ""


def _linked(town: str, amount: str, domain: str = "elderly_care") -> dict:
    return {"record_id": f"lf-{town}-{amount}", "town": town, "name": "联动项目", "purchaser": "district_bureau",
            "domain": domain, "people_served": 3, "person_times": 5, "amount": amount, "project": "P-1",
            "collected_on": "2025-05-01"}


def _district(projects: list[dict], linked: list[dict], notes: int) -> dict:
    return {"towns": [{"town": A}, {"town": B}], "projects_detail": projects, "provider_exits": [],
            "open_problems": [{"progress": "pr-1", "town": B, "key": "k", "project": "P-2", "raised_on": "2025-04-01",
                               "description": "场地不足"}],
            "linked_projects": {"contracted_linked_projects": 4, "collected": {}, "items": linked,
                                "by_domain": {"elderly_care": {}, "child_welfare": {}}},
            "progress_notes": notes, "plan": {"year": 2025, "status": "filed"}}


def _town(projects: list[dict], linked: list[dict], notes: int) -> dict:
    return {"projects_detail": projects, "provider_exits": [], "open_problems": [],
            "linked_projects": {"items": linked}, "progress_notes": notes}


def test_each_town_s_part_is_its_approved_version_s_and_the_district_s_own_stays():
    then, now = {"project": "P-1", "town": A, "name": "旧名"}, {"project": "P-1", "town": A, "name": "新名"}
    shared = {"project": "P-9", "town": SHARED, "name": "区统筹项目"}
    late = {"project": "P-2", "town": B, "name": "乙街道项目"}
    live = _district([now, late, shared], [_linked(A, "100.00"), _linked(A, "50.50"), _linked(B, "9.00")], notes=5)
    approved = {A: _town([then], [_linked(A, "100.00")], notes=2)}

    sections = sections_at_the_cut(live, approved)

    assert sections["projects_detail"] == [shared, then]  # B is not approved: it has no part, like its figures
    assert sections["open_problems"] == []
    assert sections["progress_notes"] == 2
    linked = sections["linked_projects"]
    assert linked["items"] == [_linked(A, "100.00")]
    assert linked["collected"] == {"projects": 1, "people_served": 3, "person_times": 5, "amount": "100.00"}
    assert linked["by_domain"]["child_welfare"]["amount"] == "0.00"
    assert linked["contracted_linked_projects"] == 4  # the district's own count
    assert "plan" not in sections  # the district's own section is left as it is


def test_a_town_s_version_lists_only_its_own_items():
    """A town's version may show a district purchase it shares: that item is the district's, taken once."""
    shared = {"project": "P-9", "town": SHARED, "name": "区统筹项目"}
    approved = {A: _town([shared, {"project": "P-1", "town": A}], [], 0),
                B: _town([shared, {"project": "P-2", "town": B}], [], 0)}
    sections = sections_at_the_cut(_district([shared], [], 0), approved)
    assert [p["project"] for p in sections["projects_detail"]] == ["P-9", "P-1", "P-2"]


def _inspection(town: str, record_id: str, kind: str = "spot_check", overdue: bool = False) -> dict:
    return {"inspection": record_id, "town": town, "project": None, "occurred_on": "2025-04-10", "kind": kind,
            "by": "district", "scopes": ["funds"], "issues_found": True, "rectification_due": "2025-05-10",
            "rectified_on": None if overdue else "2025-05-01", "overdue": overdue}


def test_supervision_at_the_cut_counts_the_approved_towns_inspections_only():
    from projections.sections import supervision_counts

    live_items = [_inspection(A, "i-a"), _inspection(A, "i-late", kind="inspection", overdue=True), _inspection(B, "i-b")]
    live = {**_district([], [], 0), "supervision": {**supervision_counts(live_items), "items": live_items,
                                                    "overdue_rectifications": []}}
    then = [_inspection(A, "i-a")]
    approved = {A: {**_town([], [], 0), "supervision": {**supervision_counts(then), "items": then,
                                                        "overdue_rectifications": []}},
                B: _town([], [], 0)}  # approved before the sections existed: it adds nothing

    supervision = sections_at_the_cut(live, approved)["supervision"]

    assert supervision["items"] == then
    assert (supervision["inspections"], supervision["by_kind"]["spot_check"], supervision["by_kind"]["inspection"],
            supervision["by_scope"]["funds"], supervision["overdue"]) == (1, 1, 0, 1, 0)
