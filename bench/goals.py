"""The issue's figures, their goals and what each must reach: what `stations bench` judges."""

# name: (better when "higher" or "lower", goal, must reach)
GOALS: dict[str, tuple[str, float, float]] = {
    "ingest_ratio": ("higher", 0.25, 0.10),
    "ingest_cpu_us_per_record": ("lower", 50, 80),  # issue 35: API + worker + PostgreSQL CPU of the 10x load
    "single_write_ratio": ("higher", 0.5, 0.3),
    "projection_ratio": ("higher", 0.5, 0.25),  # issue 35
    "visible_ms_p50": ("lower", 5, 10),
    "visible_ms_p99": ("lower", 20, 50),
    "report_growth": ("lower", 1.2, 1.5),
    "report_ms_p99": ("lower", 20, 50),
    "asof_growth": ("lower", 1.5, 2),
    "state_asof_ms": ("lower", 50, 100),  # issue 38: a past state of an aggregate of 10,000 events, the slower of 1x and 10x
    "state_asof_first_ms": ("lower", 50, 100),  # the same, a process's first read of it (from the worker's snapshots)
    "rss_mb": ("lower", 200, 300),
    "connections_200_districts": ("lower", 10, 20),
}


def reached(name: str, value: float, threshold: float) -> bool:
    return value >= threshold if GOALS[name][0] == "higher" else value <= threshold
