"""The digest of a report's frozen figures, over their canonical encoding (docs/audit.md,
"A frozen version's digest"), so that anyone can recompute it from the figures alone."""

import hashlib
import json
from typing import Any


def canonical_figures(figures: dict[str, Any]) -> bytes:
    """JSON with keys sorted by code point, no whitespace, UTF-8 unescaped; the figures hold only
    objects, integers and decimal strings (never a float)."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def figures_digest(figures: dict[str, Any]) -> str:
    """SHA-256 of the canonical encoding, in lowercase hex."""
    return hashlib.sha256(b"stations-figures-v1\n" + canonical_figures(figures)).hexdigest()
