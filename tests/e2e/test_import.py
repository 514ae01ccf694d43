"""`stations import`: a JSON Lines file through the HTTP API, interrupted and resumed, and refused."""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demo import DemoYear, from_divisions
from demo.duties import Division
from domain.duties import Level
from stations import importer
from stations.cli import app as cli
from tests.support import bearer

BATCH = 100


def demo_file(runtime, district, tmp_path: Path, services: int = 150) -> tuple[Path, int]:
    """The demo year of one test district as the district's import file, one record a line: what the
    district may write, so without the city's inspections and what names them."""
    year = DemoYear(seed=5, services=services,
                    districts=from_divisions(runtime.tenants.divisions, [district.code], date(2025, 12, 31)))
    path = tmp_path / "records.jsonl"
    division, left_out, lines = Division(), set(), 0
    with path.open("w", encoding="utf-8") as f:
        for code, batch in year.batches():
            for record in batch:
                if division.writer(record)[0] is Level.city or left_out & set(references(record)):
                    left_out.add(record["id"])
                    continue
                f.write(json.dumps({"district": code, **record}, ensure_ascii=False) + "\n")
                lines += 1
    return path, lines


def references(record: dict) -> list[str]:
    return [record[name] for name in ("record", "inspection", "progress") if record.get(name)]


def token_for(district: str) -> str:
    return bearer("district", district)["Authorization"].removeprefix("Bearer ")


async def event_count(client, district: str) -> int:
    count, after = 0, 0
    while True:
        page = (await client.get(f"/v1/districts/{district}/events", params={"after": after, "limit": 1000},
                                 headers=bearer("district", district))).json()
        if not page["events"]:
            return count
        count, after = count + len(page["events"]), page["next_after"]


async def test_an_interrupted_import_resumes_where_the_service_acknowledged(client, runtime, district, tmp_path):
    path, total = demo_file(runtime, district, tmp_path)
    state = importer.state_path(path)

    first = await importer.import_file(client, path, token_for=token_for, batch_size=BATCH, limit=BATCH)

    assert (first.sent, first.accepted, first.batches, first.stopped_by_limit) == (BATCH, BATCH, 1, True)
    saved = json.loads(state.read_text())
    assert (saved["line"], saved["accepted"]) == (BATCH, BATCH)
    assert await event_count(client, district.code) == BATCH

    rest = await importer.import_file(client, path, token_for=token_for, batch_size=BATCH)

    assert (rest.sent, rest.accepted, rest.duplicates) == (total - BATCH, total - BATCH, 0)
    assert json.loads(state.read_text())["line"] == total
    assert await event_count(client, district.code) == total

    again = await importer.import_file(client, path, token_for=token_for, batch_size=BATCH)
    assert again.sent == 0


async def test_a_lost_answer_is_harmless_the_resent_batch_comes_back_duplicate(client, runtime, district,
                                                                               tmp_path):
    path, total = demo_file(runtime, district, tmp_path, services=20)
    await importer.import_file(client, path, token_for=token_for, batch_size=BATCH, limit=BATCH)
    importer.state_path(path).unlink()  # as if the answer to the first batch never arrived

    resent = await importer.import_file(client, path, token_for=token_for, batch_size=BATCH)

    assert (resent.sent, resent.duplicates, resent.accepted) == (total, BATCH, total - BATCH)
    assert await event_count(client, district.code) == total


async def test_a_refused_batch_stops_the_import_naming_its_line(client, runtime, district, tmp_path):
    path, total = demo_file(runtime, district, tmp_path, services=20)
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = BATCH + 7  # in the second batch
    lines[bad - 1] = json.dumps({**json.loads(lines[bad - 1]), "colour": "red"}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(importer.ImportStopped) as stopped:
        await importer.import_file(client, path, token_for=token_for, batch_size=BATCH)

    assert f"{BATCH + 1}-{2 * BATCH}" in stopped.value.en and "拒收" in stopped.value.zh
    assert any(f"line {bad}" in detail and "colour" in detail for detail in stopped.value.details)
    assert json.loads(importer.state_path(path).read_text())["line"] == BATCH
    assert await event_count(client, district.code) == BATCH


async def test_a_record_the_token_may_not_write_stops_the_import_naming_its_line_and_owner(client, runtime, district,
                                                                                         tmp_path):
    path, _ = demo_file(runtime, district, tmp_path, services=20)
    lines = path.read_text(encoding="utf-8").splitlines()
    inspection = next(n for n, line in enumerate(lines, 1) if json.loads(line)["type"] == "inspection_done")
    lines[inspection - 1] = json.dumps({**json.loads(lines[inspection - 1]), "by": "city"}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stored_before = BATCH * ((inspection - 1) // BATCH)

    with pytest.raises(importer.ImportStopped) as stopped:
        await importer.import_file(client, path, token_for=token_for, batch_size=BATCH)

    assert "HTTP 403" in stopped.value.en
    assert any(f"line {inspection}" in detail and "city" in detail for detail in stopped.value.details)
    assert await event_count(client, district.code) == stored_before


def test_a_line_that_is_not_json_stops_before_anything_is_sent(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"district": "350203", "id": "a", "type": "record_voided"}\nnot json\n', encoding="utf-8")
    with pytest.raises(importer.ImportStopped, match="line 2"):
        list(importer.batches(path, 0, 0, BATCH, None))


def test_the_command_says_what_it_does_and_stops_clearly_when_the_service_is_not_there(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"id": "x-1", "type": "record_voided", "record": "x-0", "reason": "test"}\n', encoding="utf-8")
    runner = CliRunner()
    helped = runner.invoke(cli, ["import", "--help"])
    assert helped.exit_code == 0 and "district" in helped.output and "resum" in helped.output
    refused = runner.invoke(cli, ["import", str(path), "--url", "http://127.0.0.1:9", "--token", "t", "--district",
                                  "350203", "--retries", "0"])
    assert refused.exit_code == 1
    assert "导入停止" in refused.output and "import stopped" in refused.output
