"""`stations bench`: every figure of the service against the machine's own limits, in one run.

On a fresh database, the real service (`stations serve`, its projection worker inside) is
loaded with a demo-shaped year through `POST /records`: a tenth of each district's records first (1x),
where the report reads are timed, then the rest (10x), where they are timed again. Then the
raw baselines, single-record writes, the write-to-report latency, a full rebuild and 200 more
districts. Everything streams: memory does not grow with the size.
"""

import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from bench import Figures, load, projection, reads, states, step, writes
from bench.environment import fresh_database, running_service
from demo import DemoYear, District, xiamen
from projections.worker import SNAPSHOT_EVERY


@dataclass(frozen=True)
class Size:
    events: int
    districts: tuple[District, ...]
    write_seconds: float  # of single-record writes, and of their baseline
    samples: int  # of each report read and of the write-to-report latency
    as_of_samples: int
    state_events: int = 10_000  # of the one project whose past state is read (`state_asof_ms`)

    @property
    def snapshot_every(self) -> int:
        """Snapshots spaced as a large log's are, relative to its size (as_of replays at most this)."""
        return max(1000, min(SNAPSHOT_EVERY, self.events // 50))


def _smallest_town() -> tuple[District, ...]:
    district = min(xiamen(), key=lambda d: len(d.towns))
    return (District(district.code, district.name, district.towns[:1]),)


SIZES = {
    "quick": Size(100_000, xiamen(), write_seconds=5, samples=100, as_of_samples=5),
    "large": Size(10_000_000, xiamen(), write_seconds=20, samples=500, as_of_samples=10),
    "smoke": Size(400, _smallest_town(), write_seconds=0.5, samples=5, as_of_samples=2,  # the test suite's
                  state_events=50),
}

CLIENTS = 4  # of 1000-record batches
SINGLE_CLIENTS = 32


async def measure(size: Size) -> dict[str, Any]:
    """Every figure of `bench.goals.GOALS`, with the baselines and the raw figures behind each."""
    f = Figures()
    year = DemoYear.of_size(size.events, districts=size.districts)
    biggest = max(year.districts, key=year.district_total)
    district, town = biggest.code, biggest.towns[0].code
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(stack))
        service = stack.enter_context(running_service(url, snapshot_every=str(size.snapshot_every)))

        def at(what: str) -> None:
            """The step, and the service's peak memory so far: the peak of `rss_mb` found by step."""
            peaks = service.peak_rss_mb()
            step(f"{what} (peak memory so far: API {peaks['api']:.0f} MB, worker {peaks['worker']:.0f} MB)")

        streams = load.streams(year)

        at(f"loading a tenth of {size.events:,} records (1x)")
        sent_1x, seconds_1x = await load.send(service.base, streams, 0.1, CLIENTS)
        at(f"a project of {size.state_events:,} events (its past state is read at 1x and at 10x)")
        project_at = await states.write_project(service.base, next(s for s in streams if s.district == district),
                                                town, size.state_events)
        caught_up = time.perf_counter()
        await load.projected(service.base, streams)
        f["catch_up_seconds_1x"] = time.perf_counter() - caught_up
        await reads.at_rest(url)
        at("reads at 1x")
        at_1x = await reads.report_latencies(service.base, district, size.samples)
        as_of_1x = await reads.as_of_latency(service.base, url, district, size.as_of_samples)
        for name, value in at_1x.items():
            f[f"{name}_1x"] = value
        f["asof_ms_1x"] = as_of_1x
        f["state_asof_first_ms_1x"], f["state_asof_ms_1x"] = await states.state_as_of_latency(
            service.base, url, district, project_at, size.as_of_samples)
        f["station_state_ms_1x"] = await states.station_latency(service.base, district, town, size.as_of_samples)

        at("loading the rest (10x)")
        sent_10x, seconds_10x, cpu = await load.send_measured(service, streams, 1.0, CLIENTS)
        f["events"] = sent_1x + sent_10x
        f["batch_1000_records_per_s"] = f["events"] / (seconds_1x + seconds_10x)
        for part, us in cpu.items():  # where the 10x step's time went, per record
            f[f"ingest_{part}_cpu_us_per_record"] = us
        f["ingest_cpu_us_per_record"] = sum(cpu.values())  # issue 35: API + worker + PostgreSQL
        at("waiting for the projection to catch up")
        caught_up = time.perf_counter()
        await load.projected(service.base, streams)
        f["catch_up_seconds_10x"] = time.perf_counter() - caught_up
        await reads.at_rest(url)
        at("reads at 10x")
        at_10x = await reads.report_latencies(service.base, district, size.samples)
        as_of_10x = await reads.as_of_latency(service.base, url, district, size.as_of_samples)
        for name, value in at_10x.items():
            f[f"{name}_10x"] = value
        f["report_growth"] = max(at_10x["district_report_ms_p50"] / at_1x["district_report_ms_p50"],
                                 at_10x["city_report_ms_p50"] / at_1x["city_report_ms_p50"])
        f["report_ms_p99"] = at_10x["city_report_ms_p99"]
        f["asof_ms_10x"] = as_of_10x
        f["asof_growth"] = as_of_10x / as_of_1x
        f["state_asof_first_ms_10x"], f["state_asof_ms_10x"] = await states.state_as_of_latency(
            service.base, url, district, project_at, size.as_of_samples)
        f["state_asof_ms"] = max(f["state_asof_ms_1x"], f["state_asof_ms_10x"])
        f["state_asof_first_ms"] = max(f["state_asof_first_ms_1x"], f["state_asof_first_ms_10x"])
        f["state_asof_first_ratio"] = f["state_asof_first_ms"] / f["state_asof_ms"]  # a first read against the median
        f["station_state_ms_10x"] = await states.station_latency(service.base, district, town, size.as_of_samples)

        at("baselines and single-record writes")
        f["baseline_copy_rows_per_s"] = await writes.copy_baseline(url, district, min(f["events"], 500_000))
        f["ingest_ratio"] = f["batch_1000_records_per_s"] / f["baseline_copy_rows_per_s"]
        f["store_write_records_per_s"] = await writes.store_write(url, district, min(f["events"], 100_000))
        f["ingest_ceiling_ratio"] = f["store_write_records_per_s"] / f["baseline_copy_rows_per_s"]

        f["batch_1_records_per_s"] = await writes.single_writes(service.base, district, town, SINGLE_CLIENTS,
                                                                size.write_seconds)
        f["baseline_insert_tx_per_s"] = await writes.insert_baseline(url, SINGLE_CLIENTS, size.write_seconds)
        f["single_write_ratio"] = f["batch_1_records_per_s"] / f["baseline_insert_tx_per_s"]

        at("from a write to its report")
        f["visible_ms_p50"], f["visible_ms_p99"] = await projection.visible_latencies(
            service.base, district, town, size.samples)

        at(f"rebuilding district {district}")
        f["rebuilt_events"], f["projection_events_per_s"], f["baseline_read_decode_events_per_s"] = \
            await projection.rebuild_rates(url, district)
        f["projection_ratio"] = f["projection_events_per_s"] / f["baseline_read_decode_events_per_s"]

        at("200 more districts")
        f["connections_200_districts"] = await writes.connections_for_200_districts(service.base, url)
        peaks = service.peak_rss_mb()
        f["rss_mb_api"], f["rss_mb_worker"] = peaks["api"], peaks["worker"]
        f["rss_mb"] = max(peaks.values())
        at("done")
    return f
