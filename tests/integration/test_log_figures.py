"""Each log's figures for `/metrics`: its events counted once each, and its projection's lag."""

from datetime import timedelta

from kernel import clock
from projections.log_figures import LogCounter
from projections.worker import ProjectionWorker
from tests.builders import service_delivered, station_established
from tests.support import write


async def test_events_are_counted_and_the_lag_closes_when_projected(runtime, district, pool):
    counter = LogCounter()
    write(runtime, district, [station_established(district.town)])
    an_hour_on = clock.now() + timedelta(hours=1)

    async with pool.acquire() as conn:
        [first] = await counter.figures(conn, [district.code], an_hour_on)
        write(runtime, district, [service_delivered(district.town), service_delivered(district.town)])
        [waiting] = await counter.figures(conn, [district.code, "999999"], an_hour_on)  # a store not here: left out
        await ProjectionWorker(pool).catch_up(district.code)
        [projected] = await counter.figures(conn, [district.code], an_hour_on)

    assert (first.store, first.events, first.lag_events) == (district.code, 1, 1)
    assert 3600 <= first.lag_seconds < 7200  # recorded before the hour began
    assert (waiting.events, waiting.lag_events) == (3, 3)
    assert (projected.events, projected.lag_events, projected.lag_seconds) == (3, 0, 0.0)
    async with pool.acquire() as conn:  # another counter (another process) counts the same
        assert [f.events for f in await LogCounter().figures(conn, [district.code], an_hour_on)] == [3]
