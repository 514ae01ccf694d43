"""Check a district's audit bundle offline: no database, no service, nothing but the standard
library, `cryptography` and `audit/replay.py` (docs/audit.md, "The offline bundle").

    stations audit verify-bundle FILE --key KEYRING
    python -m audit.offline FILE --key KEYRING      (the same, with nothing of the service loaded)

1. The checkpoint is signed by a trusted key: one of KEYRING's (the bundle's own key proves
   nothing by itself). Without --key everything else is checked and the answer is "unproven".
2. The events are the district's whole log up to the checkpoint: as many as it signs, each
   hashing to the leaves whose RFC 6962 Merkle root and hash chain it signs, none of another district.
3. The report is the version the log froze: its digest is its figures' and the submission's.
4. Every figure of the report, and of each town's row, follows from the events (`audit.replay`);
   the towns cut are those whose approval the log holds at that position, with that digest.

A city bundle (the city's version and log, a district bundle per district it took) is checked
level by level by `audit.rollup`, each district part exactly as here ("The city bundle").
"""

import argparse
import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import replay

FORMAT = "stations-audit-bundle-v2"
CITY_FORMAT = "stations-city-bundle-v1"  # the city's version, its log, and a district bundle per child (audit.rollup)
# What the service adds to a frozen version when it hands it out: not frozen, not signed.
SERVED = ("version", "status", "frozen_at", "adjustments", "signed_checkpoint")
SUBMISSIONS = {"submitted": ("Report.Opened", "Report.Submitted"), "approved": ("Report.Approved",)}


class Malformed(ValueError):
    """The file is not a bundle: what is missing or of the wrong kind, named."""


@dataclass
class SignedLog:
    """A bundle's log as checked: its events as (position, type, state) and their leaves, in log
    order, and the state of the event that froze the bundle's version once it is found."""

    events: list[tuple[int, str, dict]]
    leaves: list[bytes]
    version: dict | None = None


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    trusted: bool = False  # the signature was checked against a key given with --key


def canonical(event: dict, state: bytes) -> bytes:  # docs/audit.md, "The canonical encoding"
    head = f"stations-event-v1\n{event['position']}\n{event['stream']}\n{event['version']}\n{event['topic']}\n"
    return head.encode() + state


def checkpoint_message(c: dict) -> bytes:  # docs/audit.md, "Checkpoints"
    return (f"stations-checkpoint-v1\ndistrict {c['district']}\ntree_size {c['tree_size']}\n"
            f"position {c['position']}\nroot {c['root']}\nchain_head {c['chain_head']}\n"
            f"made_at {c['made_at']}\n").encode()


def figures_digest(figures: Any) -> str:  # docs/audit.md, "A frozen version's digest"
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(b"stations-figures-v1\n" + text.encode("utf-8")).hexdigest()


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1: MTH over the leaf hashes, split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()[:16]


def trusted_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """The keyring's Ed25519 public keys (PEM blocks, as `stations keys` writes), by key id."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise Malformed(f"the key file {path} cannot be read: {exc.strerror}") from None
    keys = {}
    end = b"-----END PUBLIC KEY-----"
    for block in text.split(end)[:-1]:
        try:
            key = serialization.load_pem_public_key(block.strip() + b"\n" + end + b"\n")
        except ValueError:
            raise Malformed(f"the key file {path} holds a block that is not a PEM public key") from None
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    if not keys:
        raise Malformed(f"the key file {path} holds no Ed25519 public key")
    return keys


def need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Malformed(f"{where}{key} is missing or malformed")
    return value


def plain(value: Any) -> Any:
    """The state's JSON with each typed value (`{"_type_": ..., "_data_": text}`) as its text."""
    if isinstance(value, dict):
        if value.keys() == {"_type_", "_data_"}:
            return value["_data_"]
        return {k: plain(v) for k, v in value.items()}
    return [plain(v) for v in value] if isinstance(value, list) else value


def verify_bundle(path: Path, keyring: Path | None = None) -> Verdict:
    """Everything wrong with the bundle (none: it verifies), and whether a trusted key signed it."""
    verdict = Verdict()
    try:
        bundle = json.loads(path.read_bytes())
        keys = trusted_keys(keyring) if keyring is not None else None
        if isinstance(bundle, dict) and bundle.get("format") == CITY_FORMAT:
            from audit import rollup  # the city's check is built on this module's: imported when asked for
            rollup.verify_city(bundle, keys, verdict)
        else:
            verify_district(bundle, keys, verdict)
    except OSError as exc:
        verdict.problems.append(f"the bundle {path} cannot be read: {exc.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        verdict.problems.append(f"the bundle is not complete JSON (truncated or malformed): {exc}")
    except Malformed as exc:
        verdict.problems.append(str(exc))
    return verdict


def verify_district(bundle: Any, keys: dict[str, Ed25519PublicKey] | None, verdict: Verdict) -> SignedLog:
    """A district bundle's checks (1-4 above); its log as checked, for a city bundle's roll-up."""
    _, period, version, log = signed_log(bundle, FORMAT, keys, verdict)
    if verdict.problems:  # the events are not the signed log: nothing computed from them would prove anything
        return log
    try:
        log.version = _check_report(need(bundle, "report", dict, ""), replay.Log(log.events), period, version,
                                    verdict)
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
        raise Malformed(f"the report is malformed where the verifier reads it: {exc!r}") from None
    return log


def signed_log(bundle: Any, form: str, keys: dict[str, Ed25519PublicKey] | None,
               verdict: Verdict) -> tuple[str, str, str, SignedLog]:
    """The bundle's district, period and version, and its log once its signature and events are checked."""
    if need(bundle, "format", str, "") != form:
        raise Malformed(f"format is {bundle['format']!r}, not {form!r}")
    district, period = need(bundle, "district", str, ""), need(bundle, "period", str, "")
    version = need(bundle, "version", str, "")
    if version not in SUBMISSIONS:
        raise Malformed(f"version is {version!r}, not submitted or approved")
    checkpoint = need(bundle, "checkpoint", dict, "")
    for key, kind in [("district", str), ("tree_size", int), ("position", int), ("root", str),
                      ("chain_head", str), ("made_at", str), ("key_id", str), ("signature", str)]:
        need(checkpoint, key, kind, "checkpoint.")
    if checkpoint["district"] != district:
        verdict.problems.append(f"the checkpoint is district {checkpoint['district']}'s, the bundle district {district}'s")
    _check_signature(bundle, checkpoint, keys, verdict)
    return district, period, version, _check_log(need(bundle, "events", list, ""), checkpoint, district, verdict)


def _check_signature(bundle: dict, c: dict, keys: dict[str, Ed25519PublicKey] | None, verdict: Verdict) -> None:
    if keys is None:  # nothing trusted: check it under the bundle's own key, for what that is worth
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(need(bundle, "public_key", str, "")))
        except (ValueError, binascii.Error):
            raise Malformed("public_key is not an Ed25519 public key") from None
    elif (key := keys.get(c["key_id"])) is None:
        verdict.problems.append(f"the checkpoint is signed by key {c['key_id']}, which is not a trusted key")
        return
    try:
        key.verify(bytes.fromhex(c["signature"]), checkpoint_message(c))
        verdict.trusted = keys is not None
    except (InvalidSignature, ValueError):
        verdict.problems.append(f"the checkpoint's signature is not valid under key {c['key_id']}")


def _check_log(items: list, c: dict, district: str, verdict: Verdict) -> SignedLog:
    """The events and their leaves, after checking they are the signed log, whole."""
    events, leaves, chain, last = [], [], bytes(32), 0
    for index, item in enumerate(items):
        where = f"events[{index}]."
        position = need(item, "position", int, where)
        for key, kind in [("stream", str), ("version", int), ("topic", str), ("state", str)]:
            need(item, key, kind, where)
        if position <= last:
            verdict.problems.append(f"the event at position {position} is out of order (after {last})")
        last = position
        try:
            raw = base64.b64decode(item["state"], validate=True)
            state = plain(json.loads(raw))
        except (binascii.Error, ValueError):
            verdict.problems.append(f"the event at position {position}: its state is not base64 of JSON")
            continue
        leaf = hashlib.sha256(b"\x00" + canonical(item, raw)).digest()
        if isinstance(item.get("leaf"), str) and item["leaf"] != leaf.hex():
            verdict.problems.append(f"the event at position {position} is not the event the log hashed: changed")
        leaves.append(leaf)
        chain = hashlib.sha256(chain + leaf).digest()
        town = state.get("town") if isinstance(state, dict) else None
        if isinstance(town, str) and town and not town.startswith(district):
            verdict.problems.append(f"the event at position {position} is of town {town}, not of district "
                                    f"{district}: spliced in from another district's log")
        events.append((position, item["topic"].split(":")[-1], state if isinstance(state, dict) else {}))
    if len(items) != c["tree_size"]:
        verdict.problems.append(f"the bundle holds {len(items)} events, the checkpoint signs {c['tree_size']}:"
                                f" {'some are missing' if len(items) < c['tree_size'] else 'some were added'}")
        if c["position"] == c["tree_size"]:  # a log whose positions skip no number: name the ones left out
            absent = sorted(set(range(1, c["tree_size"] + 1)) - {position for position, _, _ in events})
            if absent:
                verdict.problems.append(f"positions missing: {', '.join(map(str, absent[:20]))}"
                                        f"{' ...' if len(absent) > 20 else ''}")
    elif last != c["position"]:
        verdict.problems.append(f"the last event is at position {last}, the checkpoint signs up to {c['position']}")
    if merkle_root(leaves).hex() != c["root"]:
        verdict.problems.append("the events' Merkle root is not the signed root: an event is missing, changed or added")
    elif chain.hex() != c["chain_head"]:
        verdict.problems.append("the events' hash chain does not end at the signed chain head")
    return SignedLog(events, leaves)


def version_event(log: replay.Log, kinds: tuple[str, ...], period: str, town: str,
                  before: int) -> tuple[int, dict] | None:
    """The last event of the report's chain of one of `kinds` for the town ('': the district) below a position."""
    found = None
    for position, kind, state in log.events:
        if position < before and kind in kinds and state.get("period") == period and state.get("town") == town:
            found = (position, state)
    return found


def _check_report(report: dict, log: replay.Log, period: str, version: str,
                  verdict: Verdict) -> dict | None:
    """The report's checks; the state of the event that froze it (None: the log holds no such version)."""
    where = "report."
    figures, towns = need(report, "figures", dict, where), need(report, "towns", list, where)
    cut, children = need(report, "cut", dict, where), need(report, "children", list, where)
    if need(report, "period", str, where) != period:
        verdict.problems.append(f"report.period is {report['period']}, the bundle's period {period}")
    submitted = version_event(log, SUBMISSIONS[version], period, "", float("inf"))
    if submitted is None:
        verdict.problems.append(f"the log holds no {version} version of the district's report for {period}")
        return None
    at, frozen = submitted
    replayed = _replayed(log, period, cut, towns, frozen.get("position", 0), verdict)
    verdict.problems += replay.differences("figures", figures, replayed)
    check_digest(report, frozen, at, where, verdict)
    _check_children(log, period, cut, children, at, verdict)
    _check_projects(need(report, "projects_detail", list, where), log, period, cut, towns, frozen.get("position", 0),
                    verdict)
    check_as_frozen(report, frozen, at, where, verdict)
    return frozen


def check_digest(report: dict, frozen: dict, at: int, where: str, verdict: Verdict) -> None:
    """The version's digest is its figures' and the one the log froze at position `at`."""
    if figures_digest(report.get("figures")) != report.get("digest"):
        verdict.problems.append(f"{where}digest is not the digest of {where}figures")
    if report.get("digest") != frozen.get("figures", {}).get("digest"):
        verdict.problems.append(f"{where}digest is not the digest the log froze at position {at}")


def check_as_frozen(report: dict, frozen: dict, at: int, where: str, verdict: Verdict) -> None:
    """Every other field of the version is as the log froze it: the rest of the report."""
    for key, value in frozen.get("figures", {}).items():
        if key not in SERVED and report.get(key) != value:
            verdict.problems.append(f"{where}{key} is not as the log froze it at position {at}")


def _replayed(log: replay.Log, period: str, cut: dict, towns: list, frozen: int,
              verdict: Verdict) -> dict[str, Any]:
    """The district's figures from the events: its towns' at their cut, summed, with the district's own
    count of projects at the position its submission froze; each town's row checked on the way."""
    total, stations = replay.Figures(), {"stations": 0, "stations_compliant": 0}
    for row in towns:
        town = need(row, "town", str, "report.towns[].")
        where = f"towns[{town}].figures"
        position = cut.get(town)
        if position is not None and not isinstance(position, int):
            raise Malformed(f"report.cut.{town} is not a position")
        found = replay.town_figures(log, period, town, position) if position is not None else replay.Figures()
        flat = found.as_report()
        if position is not None:  # a station and its compliance are judged by the guide's rules, not replayed
            gaps = need(row, "compliance", dict, f"report.towns[{town}].")
            flat["stations"] = int("no_station" not in gaps.get("gap_codes", []))
            flat["stations_compliant"] = int(gaps.get("compliant") is True)
        verdict.problems += replay.differences(where, need(row, "figures", dict, f"report.towns[{town}]."), flat)
        total.add(found)
        stations = {k: n + flat.get(k, 0) for k, n in stations.items()}
    unknown = set(cut) - {row.get("town") for row in towns}
    if unknown:
        verdict.problems.append(f"report.cut names towns without a row: {', '.join(sorted(unknown))}")
    return {**total.as_report(), **stations, **replay.district_projects(log, period, frozen)}


def _check_children(log: replay.Log, period: str, cut: dict, children: list, at: int,
                    verdict: Verdict) -> None:
    """Each town cut is one the log approved at that position, with the digest of what it approved."""
    named = set()
    for child in children:
        code = need(child, "code", str, "report.children[].")
        named.add(code)
        approved = version_event(log, ("Report.Approved",), period, code, at)
        if approved is None:
            verdict.problems.append(f"children[{code}]: the log holds no approval of town {code} before position {at}")
            continue
        state = approved[1]
        if child.get("position") != state.get("position") or cut.get(code) != state.get("position"):
            verdict.problems.append(f"children[{code}].position: the log approved town {code} at position "
                                    f"{state.get('position')}, the report cuts it at {cut.get(code)}")
        if child.get("digest") != figures_digest(state.get("figures", {}).get("figures")):
            verdict.problems.append(f"children[{code}].digest is not the digest of the figures the log approved")
    if named != set(cut):
        verdict.problems.append("report.cut and report.children name different towns")


def _check_projects(items: list, log: replay.Log, period: str, cut: dict, towns: list,
                    frozen: int, verdict: Verdict) -> None:
    """Funds by project: each town's projects as the log stood at its cut, the district's own (a
    purchase for several towns) at the position the version froze; none missing, each line replayed."""
    mine = {row.get("town") for row in towns}
    listed: dict[str, set[str]] = {}  # the scope (a town, or '' for the district's own) -> its projects
    for item in items:
        project, town = need(item, "project", str, "report.projects_detail[]."), item.get("town") or ""
        if not isinstance(town, str):
            raise Malformed(f"report.projects_detail[{project}].town is malformed")
        listed.setdefault(town if town in mine else "", set()).add(project)
        at = cut.get(town, frozen if town not in mine else None)
        where = f"projects_detail[{project}]"
        if at is None:
            verdict.problems.append(f"{where}: town {town} is not in the cut, its projects count nowhere")
        elif project not in replay.projects_at(log, at):
            verdict.problems.append(f"{where}: the log holds no such contract at position {at}")
        else:
            stated = {"amount": item.get("amount"), "fund_lines": item.get("fund_lines")}
            verdict.problems += replay.differences(where, stated, replay.project_funds(log, period, project, at))
    for town, at in [("", frozen), *cut.items()]:
        held = {p for p, s in replay.projects_at(log, at).items() if (s.get("town") or "") == town}
        for project in sorted(held - listed.get(town, set())):
            verdict.problems.append(f"projects_detail[{project}]: the log holds this contract"
                                    f"{f' of town {town}' if town else ''} at position {at}, the report omits it")


def main(argv: list[str] | None = None) -> int:
    """`python -m audit.offline FILE --key KEYRING`: the same check as `stations audit verify-bundle`,
    with nothing of the service loaded; exit 0 verified, 1 something does not hold, 2 usage, 3 no key."""
    parser = argparse.ArgumentParser(prog="python -m audit.offline", description="verify a stations audit bundle")
    parser.add_argument("file", type=Path)
    parser.add_argument("--key", type=Path, help="trusted public keys in PEM, handed over out of band")
    args = parser.parse_args(argv)
    verdict = verify_bundle(args.file, args.key)
    for problem in verdict.problems:
        print(f"✗ {problem}")
    if verdict.problems:
        return 1
    if not verdict.trusted:
        print("? the bundle holds together, but no trusted key was given (--key)")
        return 3
    print("✓ the bundle verifies: every figure recomputed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
