"""Benchmarks: each figure is printed beside a baseline measured in the same run."""

import sys
import time
from typing import Any


class Figures(dict[str, Any]):
    """A run's figures, each printed as `name: value` as soon as it is measured: a long run shows
    what it has so far, and one stopped early has printed everything it measured."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}", flush=True)


def step(what: str) -> None:
    """Where a run is, with the time of day (to standard error: the figures stay on their own)."""
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)
