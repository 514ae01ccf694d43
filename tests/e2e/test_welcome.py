"""A quiet, helpful start: no migration's every step, then one short block saying where to go,
how to sign in and where the data is."""

import time
from contextlib import ExitStack

from bench.environment import fresh_database, running_service
from stations import logs, welcome
from stations.settings import Settings
from tenants.event_store import server_label
from tests.support import TEST_SECRET


def wait_for(path, text: str, tries: int = 300) -> str:
    """The file's text once it holds `text` (the block is printed once the service answers)."""
    for _ in range(tries):
        if text in (said := path.read_text(encoding="utf-8")):
            return said
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never printed: {path.read_text(encoding='utf-8')[-2000:]}")


def test_a_development_start_migrates_quietly_and_ends_with_where_to_go():
    with ExitStack() as stack:
        database = stack.enter_context(fresh_database(stack))
        service = stack.enter_context(running_service(database, environment="development",
                                                      projection_metrics_port="0"))
        said = wait_for(service.log, "Ctrl-C 停止服务")

    assert "yoyo" not in said and "applying" not in said and "(1 row)" not in said  # migrated, quietly
    assert f"仪表盘 / dashboard    {service.base}/" in said
    assert "在登录页选择角色 / pick a role on the sign-in page" in said
    assert f"数据库 / database  {server_label(database)}" in said  # no data directory: the server and database


def test_outside_development_the_block_says_how_to_mint_a_token_and_where_the_data_directory_is(tmp_path):
    embedded = Settings(environment="development", database_url=None, data_dir=tmp_path)
    production = Settings(environment="production", database_url="postgresql://stations_writer@db/stations",
                          reader_database_url="postgresql://stations_reader@db/stations", jwt_secret=TEST_SECRET, signing_key_file=tmp_path / "key.pem")

    assert f"数据目录 / data directory  {tmp_path}" in welcome.block(embedded, "http://127.0.0.1:8000")
    said = welcome.facts(production, "http://0.0.0.0:8000")
    assert "stations token --role city" in said["sign_in"]
    assert said["data"] == "@db:5432/stations"  # never a password
    assert welcome.address("0.0.0.0", 8000) == "http://127.0.0.1:8000"


def test_the_embedded_server_and_the_migrations_say_only_warnings_unless_verbose():
    quiet, verbose = logs.config("text"), logs.config("text", verbose=True)
    assert {name: quiet["loggers"][name]["level"] for name in logs.CHATTY} == {"pgserver": "WARNING",
                                                                                "yoyo": "WARNING"}
    assert verbose["loggers"] == {}
