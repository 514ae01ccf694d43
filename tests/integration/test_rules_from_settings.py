"""`STATIONS_EVALUATION_TOLERANCE_DAYS` and `STATIONS_FINAL_EVALUATION_GRACE_DAYS` reach the
reports: a runtime put together (`stations.bootstrap`) from settings read with them set judges
the same records otherwise than one at the defaults (30 days each)."""

from projections import connections
from projections.gaps import Rules
from projections.reports import district_report
from projections.worker import ProjectionWorker
from stations.bootstrap import bootstrap
from stations.settings import Settings
from tests.builders import project_contracted, station_established
from tests.support import write

SET_BY_ENVIRONMENT = {"evaluation_tolerance_days", "final_evaluation_grace_days"}


def evaluated_early(town: str, project: str) -> list[dict]:
    """Contract year 2025-01-01 to 2025-05-31: its self-evaluation 20 days before the year begins (within
    30 days' tolerance, not 10), no final evaluation (due 30 days after the year, 2025-06-30, or 10)."""
    return [project_contracted(town, project, contract_start="2025-01-01", contract_end="2025-05-31"),
            {"id": f"{project}-self", "type": "self_evaluation_submitted", "project": project, "contract_year": 1,
             "submitted_on": "2024-12-12", "summary": "项目中期自评"}]


async def test_the_evaluation_settings_change_the_gaps_of_a_report(monkeypatch, settings, database_url, runtime,
                                                                     district):
    write(runtime, district, [station_established(district.town), *evaluated_early(district.town, "P-rules")])
    monkeypatch.setenv("STATIONS_EVALUATION_TOLERANCE_DAYS", "10")
    monkeypatch.setenv("STATIONS_FINAL_EVALUATION_GRACE_DAYS", "10")
    from_environment = Settings(**settings.model_dump(exclude=SET_BY_ENVIRONMENT))
    strict = bootstrap(from_environment, database_url)
    pool = await connections.create_pool(database_url, min_size=1, max_size=1)
    try:
        assert strict.rules == Rules(evaluation_tolerance_days=10, final_evaluation_grace_days=10)
        await ProjectionWorker(pool).catch_up(district.code)
        async with pool.acquire() as conn:
            judged = {name: (await district_report(conn, made.scope(district.code, "2025H1")))["towns"][0]
                      for name, made in (("defaults", runtime), ("strict", strict))}
    finally:
        await pool.close()
        strict.close()
    evaluation_gaps = {name: [c for c in town["compliance"]["gap_codes"] if "evaluation" in c]
                       for name, town in judged.items()}
    assert evaluation_gaps == {"defaults": [], "strict": ["evaluation_misdated:P-rules:self:1",
                                                          "final_evaluation_overdue:P-rules:1"]}
