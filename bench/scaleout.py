"""`stations bench --scale-out`: the batch load against 1, 2 and 4 API processes (issue 35).

For each count a fresh database and `stations serve --workers N` (its projection worker beside, as
always), loaded as the ordinary run loads: a tenth of the year first, untimed (the processes warm
up, the districts exist), then the rest, whose records/s and CPU a record are reported, the API
processes summed. Only this is run: none of the ordinary run's reads, baselines or other figures.

`--load-and-reads` is the ordinary run's load and its reports at 10x alone, for a database the
rest does not fit (issue 36: a Citus cluster, where the baselines' own tables and 200 more
districts are not what is asked; `scripts/bench-citus` runs it on the cluster and on one node).
"""

import asyncio
import time
from contextlib import ExitStack
from typing import Any

from bench import Figures, load, reads, step
from bench.environment import fresh_database, running_service
from bench.run import CLIENTS, Size
from demo import DemoYear

PROCESSES = (1, 2, 4)
CATCH_UP_SECONDS = 300  # of --load-and-reads


async def measure(size: Size) -> list[dict[str, Any]]:
    """One row a process count: its records/s, CPU µs a record by part and in all, and its catch-up."""
    year = DemoYear.of_size(size.events, districts=size.districts)
    rows = []
    for processes in PROCESSES:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(stack))
            service = stack.enter_context(running_service(url, workers=processes,
                                                          snapshot_every=str(size.snapshot_every)))
            streams = load.streams(year)
            step(f"{processes} API process(es): a tenth of {size.events:,} records, untimed")
            await load.send(service.base, streams, 0.1, CLIENTS)
            step(f"{processes} API process(es): the rest, measured")
            sent, seconds, cpu = await load.send_measured(service, streams, 1.0, CLIENTS)
            caught_up, before = time.perf_counter(), service.cpu_seconds()
            await load.projected(service.base, streams)  # the worker's lag: its CPU after the load, apart
            catch_up_cpu = sum(service.cpu_seconds().values()) - sum(before.values())
            row = {"api_processes": processes, "records": sent, "records_per_s": sent / seconds,
                   **{f"{part}_cpu_us_per_record": us for part, us in cpu.items()},
                   "cpu_us_per_record": sum(cpu.values()), "catch_up_seconds": time.perf_counter() - caught_up,
                   "catch_up_cpu_us_per_record": catch_up_cpu / max(sent, 1) * 1e6}
            print("  ".join(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()),
                  flush=True)
            rows.append(row)
    return rows


async def load_and_reads(size: Size) -> dict[str, Any]:
    """The ordinary run's batch load (1x, then the rest) with its records/s, the projection caught
    up, and the district's and city's reports timed at rest."""
    year = DemoYear.of_size(size.events, districts=size.districts)
    district = max(year.districts, key=year.district_total).code
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(stack))
        service = stack.enter_context(running_service(url, snapshot_every=str(size.snapshot_every)))
        streams = load.streams(year)
        step(f"loading {size.events:,} records, a tenth first")
        sent_1x, seconds_1x = await load.send(service.base, streams, 0.1, CLIENTS)
        sent_10x, seconds_10x = await load.send(service.base, streams, 1.0, CLIENTS)
        f = Figures()
        f["events"] = sent_1x + sent_10x
        f["batch_1000_records_per_s"] = f["events"] / (seconds_1x + seconds_10x)
        caught_up = time.perf_counter()
        # A read past the statement timeout answers 503 and would be retried for hours: stopped here.
        await asyncio.wait_for(load.projected(service.base, streams), CATCH_UP_SECONDS)
        f["catch_up_seconds_10x"] = time.perf_counter() - caught_up
        await reads.at_rest(url)
        step("reads at 10x")
        for name, value in (await reads.report_latencies(service.base, district, size.samples)).items():
            f[name] = value
    return f
