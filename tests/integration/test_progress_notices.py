"""A `reports_progress` notice is a wake-up, never a fact: any login on the cluster may send one,
and a forged one neither answers a wait for a position nor tells the report cache what changed."""

from domain.records import parse_record
from projections import report_cache
from tests.builders import service_delivered
from tests.support import context, forging

FORGED_BEFORE = ("forged", "0", "forged", 0)  # the stamps a forged notice names (`Progress._hear`)


async def test_a_forged_notice_does_not_answer_a_wait_for_a_position(runtime, forger_login, district):
    written = runtime.tenants.ledger(district.code).record([parse_record(service_delivered(district.town))],
                                                           context(runtime, district)).position
    beyond = written + 1000
    async with runtime.reading() as reading:  # follows the notices; no worker projects here
        async with forging(forger_login, district.code, beyond):
            reached = await reading.progress.wait_for(district.code, beyond)
        assert not reached
        assert await reading.progress.position(district.code) < beyond
    assert report_cache.MOVES.changed_between(district.code, FORGED_BEFORE, ("forged", "0", "forged", beyond)) is None
