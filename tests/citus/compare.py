"""Reports compared between two runs: less what differs by their clocks, and where they differ."""


def differences(a, b, path: str = "") -> list[str]:
    """Where two reports differ, as paths to the first few differing values (the message of a failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}")][:10]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")][:10]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def without_moments(report):
    """A report less what differs between two runs by their clocks: when it was read, and the log's
    checkpoint (its hashes cover each event's recording time)."""
    if isinstance(report, dict):
        return {k: without_moments(v) for k, v in report.items() if k not in {"generated_at", "checkpoint"}}
    if isinstance(report, list):
        return [without_moments(v) for v in report]
    return report
