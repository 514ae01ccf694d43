"""Check an audit bundle offline: no database, no service, nothing but this file's imports.

    stations audit verify-bundle FILE

1. The checkpoint's signature is good under the bundle's public key (compare the key with the
   one the service publishes, or one you were given, before trusting it).
2. Every event's leaf hash, recomputed from its stored bytes, is included in the signed
   Merkle root at the index its proof claims (RFC 6962 / RFC 9162).
3. The report's headline figures follow from those events: person-times, service hours and
   funds spent, counting each voided record nowhere.
"""

import base64
import hashlib
import json
from decimal import Decimal
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kernel.merkle import verify_inclusion


def canonical(event: dict, state: bytes) -> bytes:  # docs/audit.md, "The canonical encoding"
    head = f"stations-event-v1\n{event['position']}\n{event['stream']}\n{event['version']}\n{event['topic']}\n"
    return head.encode() + state


def checkpoint_message(c: dict) -> bytes:  # docs/audit.md, "Checkpoints"
    return (f"stations-checkpoint-v1\ndistrict {c['district']}\ntree_size {c['tree_size']}\n"
            f"position {c['position']}\nroot {c['root']}\nchain_head {c['chain_head']}\n"
            f"made_at {c['made_at']}\n").encode()


def amount(value) -> Decimal:  # the store writes decimals as {"_type_": "decimal_str", "_data_": "1.50"}
    return Decimal(value["_data_"] if isinstance(value, dict) else value)


def verify_bundle(path: Path) -> list[str]:
    """Everything wrong with the bundle; an empty list means it verifies."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    c = bundle["checkpoint"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(bundle["public_key"]))
    try:
        key.verify(bytes.fromhex(c["signature"]), checkpoint_message(c))
    except InvalidSignature:
        problems.append("the checkpoint's signature is not valid under the bundle's public key")

    states = {}
    for event in bundle["events"]:
        state = base64.b64decode(event["state"])
        leaf = hashlib.sha256(b"\x00" + canonical(event, state)).digest()
        proof = [bytes.fromhex(h) for h in event["proof"]]
        if not verify_inclusion(leaf, event["index"], c["tree_size"], proof, bytes.fromhex(c["root"])):
            problems.append(f"the event at position {event['position']} is not in the signed log as given")
        states[event["position"]] = (event["topic"], json.loads(state))

    voided = {s["record"] for topic, s in states.values() if topic.endswith(".RecordVoided")}
    person_times, hours, spent = 0, Decimal(0), Decimal(0)
    for topic, s in states.values():
        if s["record_id"] in voided:
            continue
        if topic.endswith("ServiceDelivery.Delivered"):
            person_times += s["person_times"]
            hours += amount(s["hours"])
        elif topic.endswith("Project.FundSpent"):
            spent += amount(s["amount"])
    figures = bundle["report"]["figures"]
    for name, found, stated in [("person_times", person_times, figures["person_times"]),
                                ("service_hours", hours, Decimal(figures["service_hours"])),
                                ("funds_spent", spent, Decimal(figures["funds_spent"]))]:
        if found != stated:
            problems.append(f"{name}: the events give {found}, the report states {stated}")
    return problems
