"""With no DATABASE_URL the service runs on an embedded PostgreSQL whose data outlives it."""

import psycopg
import pytest

from stations.bootstrap import bootstrap
from stations.database import database, wait_until_reachable
from stations.settings import Settings
from tests.builders import station_established
from tests.support import SampleDistrict, context
from domain.records import parse_record


def test_the_embedded_database_keeps_its_data_across_restarts(tmp_path):
    settings = Settings(environment="development", database_url=None, data_dir=tmp_path)
    xiagang = SampleDistrict("350203", "思明区", {"350203001": "厦港街道", "350203003": "中华街道"})
    record = station_established(xiagang.town)

    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        runtime.tenants.ledger("350203").record([parse_record(record)], context(runtime, xiagang))
        runtime.close()

    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            assert len(runtime.tenants.divisions.district_codes) == 6, "seeded once, not twice"
            assert record["id"] in runtime.tenants.ledger("350203").store.lookup_records([record["id"]])
        finally:
            runtime.close()


def test_startup_waits_for_the_database_then_gives_up_clearly():
    with pytest.raises(psycopg.OperationalError):
        wait_until_reachable("postgresql://postgres@127.0.0.1:1/postgres", within=0.5)
