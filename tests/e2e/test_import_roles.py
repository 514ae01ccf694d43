"""`stations import` writes with the role of the token it is given (API.md, "Roles and duties"): a
station's token imports the station's records and is stopped, at the line, by a record of its town
government's; a scoped token's district is the file's, and another district is refused before sending."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stations import importer
from stations.cli import app as cli
from tests.support import SampleDistrict, bearer
from tests.unit import support as build


def jsonl(path: Path, records: list) -> Path:
    """The records one a line, naming no district (the token's is theirs)."""
    path.write_text("".join(json.dumps(r.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n"
                            for r in records), encoding="utf-8")
    return path


def token(role: str, district: SampleDistrict) -> str:
    return bearer(role, district.code, district.town if role in ("station", "town") else None)[
        "Authorization"].removeprefix("Bearer ")


async def events(client, district: SampleDistrict) -> list[dict]:
    page = await client.get(f"/v1/districts/{district.code}/events", headers=bearer("district", district.code),
                            params={"limit": 1000})
    return page.json()["events"]


async def test_a_station_token_imports_its_station_s_records_and_stops_at_its_town_s(client, district, tmp_path):
    town = district.town
    established = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("town", district.code, town),
                                    json={"records": [build.station(town).model_dump(mode="json", exclude_none=True)]})
    assert established.status_code == 200, established.text
    station = token("station", district)
    ours = jsonl(tmp_path / "services.jsonl", [build.service(town), build.service(town), build.progress(town)])
    summary = await importer.import_file(client, ours, token_for=lambda _: station, district=district.code,
                                         only_district=district.code)
    assert (summary.sent, summary.accepted) == (3, 3)
    logged = await events(client, district)
    assert [(e["actor"]["role"], e["on_behalf_of"]) for e in logged[-3:]] == [("station", None)] * 3

    theirs = jsonl(tmp_path / "mixed.jsonl", [build.service(town), build.equipment(town), build.service(town)])
    with pytest.raises(importer.ImportStopped) as stopped:
        await importer.import_file(client, theirs, token_for=lambda _: station, district=district.code,
                                   only_district=district.code)
    assert "HTTP 403" in stopped.value.en
    assert any("line 2" in d and "owner: town" in d for d in stopped.value.details), stopped.value.details
    assert len(await events(client, district)) == len(logged)  # the batch is refused whole


async def test_a_scoped_token_stops_before_a_line_of_another_district(client, district, other_district, tmp_path):
    path = tmp_path / "two.jsonl"
    lines = [{"district": district.code, **build.service(district.town).model_dump(mode="json", exclude_none=True)},
             {"district": other_district.code,
              **build.service(other_district.town).model_dump(mode="json", exclude_none=True)}]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    town = token("town", district)
    with pytest.raises(importer.ImportStopped, match=f"line 2 is of district {other_district.code}"):
        await importer.import_file(client, path, token_for=lambda _: town, batch_size=1, only_district=district.code)
    assert len(await events(client, other_district)) == 0


def test_the_command_takes_the_district_of_a_scoped_token_and_refuses_another(tmp_path):
    district = SampleDistrict("350203", "思明区", {"350203001": "厦港街道", "350203003": "中华街道"})
    path = jsonl(tmp_path / "one.jsonl", [build.service()])
    runner = CliRunner()
    helped = runner.invoke(cli, ["import", "--help"], terminal_width=200)
    assert helped.exit_code == 0 and "station" in helped.output and "owner" in helped.output
    station = token("station", district)
    refused = runner.invoke(cli, ["import", str(path), "--url", "http://127.0.0.1:9", "--token", station,
                                  "--district", "350206", "--retries", "0"])
    assert refused.exit_code == 2 and "350203" in refused.output
    # No --district: the token's is taken, so the file is read and sent (to no service here).
    unreachable = runner.invoke(cli, ["import", str(path), "--url", "http://127.0.0.1:9", "--token", station,
                                      "--retries", "0"])
    assert unreachable.exit_code == 1 and "cannot reach the service" in unreachable.output
