"""A district's sections at the cut (`projections.cut`): each town's part of a section, as its
approved version holds it; a town without one has no part, as it counts nothing in the figures.

What is the district's own stays as its log held it at the submission: its purchase plan, its
count of linked contracts, the city's training of its people, and any item of no one town (a
district purchase shared by several towns is the district's).
"""

from typing import Any

from projections.duties_report import linked_cell
from projections.sections import supervision_counts

# The sections made of items each of one town, in a town's report as in its district's.
ITEMIZED = ("projects_detail", "provider_exits", "open_problems", "projects", "evaluations", "roster")


def sections_at_the_cut(report: dict[str, Any], approved: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The district's `report`'s itemized sections, supervision, linked projects and progress notes, each town's
    part from its approved version (`approved`: town -> the version's report)."""
    towns = {row["town"] for row in report["towns"]}
    # A town's version frozen before a section existed holds none of it: it adds no items.
    sections = {name: _items(report[name], lambda version, name=name: version.get(name, []), towns, approved)
                for name in ITEMIZED if name in report}
    if "linked_projects" in report:
        linked = report["linked_projects"]
        items = _items(linked["items"], lambda version: version["linked_projects"]["items"], towns, approved)
        sections["linked_projects"] = {**linked, **linked_figures(items, linked["by_domain"]), "items": items}
    if "supervision" in report:
        supervision = report["supervision"]
        items = _items(supervision["items"], lambda version: version.get("supervision", {}).get("items", []),
                       towns, approved)
        overdue = _items(supervision["overdue_rectifications"],
                         lambda version: version.get("supervision", {}).get("overdue_rectifications", []),
                         towns, approved)
        sections["supervision"] = {**supervision_counts(items), "items": items, "overdue_rectifications": overdue}
    if "progress_notes" in report:
        sections["progress_notes"] = sum(version["progress_notes"] for version in approved.values())
    return sections


def _items(live: list[dict[str, Any]], of: Any, towns: set[str],
           approved: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The district's own items (of no one of its towns) as they are, then each approved town's."""
    own = [item for item in live if item.get("town") not in towns]
    return own + [item for town in sorted(approved) for item in of(approved[town]) if item.get("town") == town]


def linked_figures(items: list[dict[str, Any]], domains: dict[str, Any]) -> dict[str, Any]:
    """The linked projects' collected figures over `items`, in all and by each of `domains`."""
    return {"collected": linked_cell(items),
            "by_domain": {d: linked_cell([i for i in items if i["domain"] == d]) for d in domains}}
