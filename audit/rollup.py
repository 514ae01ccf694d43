"""Check a city bundle offline, level by level (docs/audit.md, "The city bundle"): the city's
version and its signed log, and a district bundle for each district its version took.

1. The city's checkpoint is signed by a trusted key and its events are its whole log up to it
   (`audit.offline`, as for a district).
2. Each district part verifies exactly as a district bundle does on its own: every figure of its
   approved version replayed from its events; its problems named under `districts.<code>`.
3. Each `children` entry is a district part: its approved version, frozen at that position, with
   that digest; the entry's checkpoint is a prefix of the district's signed log (its root recomputed
   from the first `tree_size` leaves). No child is missing from the bundle, no part is extra.
4. Each row of `districts` is its district's approved version (figures and the sections taken from
   it); a district the city did not take counts nothing.
5. The city's figures are the sums of its children's approved figures, every one of them.
6. The city's version is the one its log froze: its digest, and every other field.
"""

import re
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import offline, replay
from audit.offline import Malformed, SignedLog, Verdict, need

CITY = "city"  # the city's store, as its checkpoint names it
# The sections of a district's row the city's version takes from its approved version (`status` is read live).
TAKEN = ("name", "timeliness", "completeness", "plan", "funding", "linked_projects", "training", "duty_compliance",
         "checkpoint")
SUMMED = "the districts' approved figures"
_PATH = re.compile(r"[a-z_]+[.\[]")  # a problem that begins with a path (`towns[...]`, `figures.`, `report.`)

Part = tuple[dict, SignedLog | None]  # a district part, and its log if the part verified


def verify_city(bundle: dict, keys: dict[str, Ed25519PublicKey] | None, verdict: Verdict) -> None:
    district, period, version, log = offline.signed_log(bundle, offline.CITY_FORMAT, keys, verdict)
    if district != CITY:
        verdict.problems.append(f"district is {district!r}: a city bundle is the city's ({CITY!r})")
    if verdict.problems:  # the city's events are not its signed log: its version proves nothing
        return
    parts, trusted = _district_parts(need(bundle, "districts", list, ""), period, keys, verdict)
    verdict.trusted = verdict.trusted and trusted  # each level's checkpoint against a trusted key
    try:
        _check_city(need(bundle, "report", dict, ""), replay.Log(log.events), period, version, parts, verdict)
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
        raise Malformed(f"the city's report is malformed where the verifier reads it: {exc!r}") from None


def within(code: str, problem: str) -> str:
    """A district part's problem named under its district: a path as `districts.<code>.<path>`."""
    return f"districts.{code}.{problem}" if _PATH.match(problem) else f"districts.{code}: {problem}"


def _district_parts(items: list, period: str, keys: dict[str, Ed25519PublicKey] | None,
                    verdict: Verdict) -> tuple[dict[str, Part], bool]:
    """Each district part checked as a district bundle on its own, its log kept only if it verified;
    and whether every part's checkpoint was checked against a trusted key."""
    parts: dict[str, Part] = {}
    trusted = True
    for index, part in enumerate(items):
        code = need(part, "district", str, f"districts[{index}].")
        if code in parts:
            verdict.problems.append(f"districts.{code}: in the bundle twice")
            continue
        inner, log = Verdict(), None
        try:
            log = offline.verify_district(part, keys, inner)
        except Malformed as exc:
            inner.problems.append(str(exc))
        if part.get("period") != period:
            inner.problems.append(f"period is {part.get('period')!r}, the city bundle's {period!r}")
        verdict.problems += [within(code, problem) for problem in inner.problems]
        parts[code] = (part, None if inner.problems else log)
        trusted = trusted and inner.trusted
    return parts, trusted


def _check_city(report: dict, log: replay.Log, period: str, version: str, parts: dict[str, Part],
                verdict: Verdict) -> None:
    where = "city."
    figures, rows = need(report, "figures", dict, where), need(report, "districts", list, where)
    children = need(report, "children", list, where)
    found = offline.version_event(log, offline.SUBMISSIONS[version], period, "", float("inf"))
    if found is None:
        verdict.problems.append(f"the city's log holds no {version} version of the city's report for {period}")
        return
    at, frozen = found
    taken = _check_children(children, parts, verdict)
    _check_rows(rows, {need(c, "code", str, "city.children[].") for c in children}, taken, verdict)
    if len(taken) == len(children):  # every district taken is here and verified: its figures are replayed
        summed = _summed([part["report"]["figures"] for part in taken.values()])
        verdict.problems += replay.differences("city.figures", figures, summed, source=SUMMED)
    else:
        verdict.problems.append("city.figures are not summed: not every district the city took is in the bundle,"
                                " verified, as the version it took")
    offline.check_digest(report, frozen, at, where, verdict)
    offline.check_as_frozen(report, frozen, at, where, verdict)


def _check_children(children: list, parts: dict[str, Part], verdict: Verdict) -> dict[str, dict]:
    """Each child against its district part; the parts that are the versions taken, by code."""
    taken: dict[str, dict] = {}
    for child in children:
        code = need(child, "code", str, "city.children[].")
        where = f"city.children[{code}]"
        if code not in parts:
            verdict.problems.append(f"districts.{code}: missing from the bundle, though {where} names it")
            continue
        part, log = parts[code]
        if log is None or log.version is None:
            continue  # its own problems are named
        if child.get("version") != "approved" or part.get("version") != "approved":
            verdict.problems.append(f"districts.{code}.version is {part.get('version')!r}: the city takes a "
                                    f"district's approved version ({where}.version is {child.get('version')!r})")
            continue
        problems = len(verdict.problems)
        if child.get("position") != log.version.get("position"):
            verdict.problems.append(f"{where}.position is {child.get('position')}, district {code}'s approved "
                                    f"version froze position {log.version.get('position')}")
        if child.get("digest") != part["report"].get("digest"):
            verdict.problems.append(f"{where}.digest is not the digest of district {code}'s approved version"
                                    f" (districts.{code}.report.digest)")
        _check_checkpoint(where, code, child, log, verdict)
        if len(verdict.problems) == problems:
            taken[code] = part
    for code in sorted(set(parts) - {c.get("code") for c in children}):
        verdict.problems.append(f"districts.{code}: in the bundle, but not among city.children")
    return taken


def _check_checkpoint(where: str, code: str, child: dict, log: SignedLog, verdict: Verdict) -> None:
    """The child's checkpoint, the district's first covering the version's position when the city
    took it, is a prefix of the district's signed log: its root is the first `tree_size` leaves'."""
    checkpoint = child.get("checkpoint")
    if checkpoint is None:  # none was signed yet when the city submitted: there is nothing to follow
        return
    size = need(checkpoint, "tree_size", int, f"{where}.checkpoint.")
    if not 1 <= size <= len(log.leaves):
        verdict.problems.append(f"{where}.checkpoint.tree_size is {size}: district {code}'s signed log holds "
                                f"{len(log.leaves)} events")
    elif offline.merkle_root(log.leaves[:size]).hex() != need(checkpoint, "root", str, f"{where}.checkpoint."):
        verdict.problems.append(f"{where}.checkpoint.root is not the root of district {code}'s first {size} events")
    elif log.events[size - 1][0] < child.get("position", 0):
        verdict.problems.append(f"{where}.checkpoint does not cover position {child.get('position')}")


def _check_rows(rows: list, codes: set[str], taken: dict[str, dict], verdict: Verdict) -> None:
    """Each district's row: a district taken shows its approved version; any other counts nothing."""
    seen = set()
    for row in rows:
        code = need(row, "district", str, "city.districts[].")
        where, figures = f"city.districts[{code}]", need(row, "figures", dict, f"city.districts[{code}].")
        seen.add(code)
        if code in taken:
            approved = taken[code]["report"]
            verdict.problems += replay.differences(f"{where}.figures", figures, replay.flatten(approved["figures"]),
                                                   source=f"district {code}'s approved figures")
            verdict.problems += [f"{where}.{key} is not district {code}'s approved version's" for key in TAKEN
                                 if row.get(key) != approved.get(key)]
        elif code not in codes:
            verdict.problems += [f"{where}.figures.{path}: the city took no version of district {code}, which counts"
                                 f" nothing; the report states {value}"
                                 for path, value in replay.flatten(figures).items() if not replay.is_zero(value)]
    verdict.problems += [f"city.districts has no row of district {code}, a child" for code in sorted(codes - seen)]


def _summed(figures: list[dict]) -> dict[str, Any]:
    """Figure path -> the sum over the districts: counts as integers, money and hours as exact decimals."""
    total: dict[str, Any] = {}
    for one in figures:
        for path, value in replay.flatten(one).items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise Malformed(f"a district's figure {path} is neither a count nor a decimal string")
            if isinstance(value, int):
                total[path] = total.get(path, 0) + value
            else:
                total[path] = replay.money(Decimal(total.get(path, "0")) + Decimal(value))
    return total
