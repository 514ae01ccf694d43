"""Audit bundles of real reports for the tests of the offline verifier (`test_bundle_replay`,
`test_city_bundle`, `test_servers`): written, altered and verified. Not a test module."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from audit.signing import public_pem
from service import audit_bundle as bundle
from stations.cli import app
from tests.integration.halfyear import generate
from tests.support import approve_towns, bearer, caught_up, record, signed

PERIOD = "2025H1"


async def exported(client, district, app_runtime, tmp_path: Path, seed: int = 31, towns: list[str] | None = None,
                   version: str = "submitted") -> tuple[dict[str, Any], Path]:
    """A seeded year recorded, the towns approved (all unless named: the others go missing), the
    district's report submitted (and approved by the city for `approved`): its bundle, and a keyring
    trusting the key that signed it."""
    for batch in generate(district, seed=seed, services=120):
        await record(client, district, batch)
    await approve_towns(client, district, towns)
    missing = {} if towns is None else {"incomplete_reason": "丙镇未按期报送"}
    answer = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                                 json=missing or None, headers=bearer("district", district.code)))
    assert answer.status_code == 200, answer.text
    if version == "approved":
        answer = await client.post(f"/v1/city/reports/2025H1/districts/{district.code}/approve", headers=bearer("city"))
        assert answer.status_code == 200, answer.text
    await signed(client, answer.json())
    written = await bundle.export(app_runtime, district.code, "2025H1", version)
    keyring = tmp_path / "keyring.pem"
    keyring.write_text(public_pem(app_runtime.keyring()[written["checkpoint"]["key_id"]]))
    return written, keyring


def verify(tmp_path: Path, written: dict[str, Any] | str, *key: Path) -> tuple[int, str]:
    """The command's exit code and output for the bundle (a dict, or the file's text as given)."""
    path = tmp_path / "bundle.json"
    path.write_text(written if isinstance(written, str) else json.dumps(written, ensure_ascii=False))
    result = CliRunner().invoke(app, ["audit", "verify-bundle", str(path), *(a for k in key for a in ("--key", str(k)))],
                                terminal_width=1000)
    return result.exit_code, result.output


def edited(written: dict[str, Any], path: str, change) -> dict[str, Any]:
    """A deep copy of the bundle with the value at `path` (keys and list indices) replaced by change(value)."""
    copy = json.loads(json.dumps(written))
    *parents, last = path
    at = copy
    for key in parents:
        at = at[key]
    at[last] = change(at[last])
    return copy


def altered(value: Any) -> Any:
    return value + 1 if isinstance(value, int) else f"{float(value) + 0.01:.2f}"


async def city_submitted(client) -> dict[str, Any]:
    """The city's report of the half year submitted: returned by the province first if a test before
    this one submitted it (the city's store is shared by every test on the database), and without the
    districts of other tests that are not approved."""
    cities, city = f"/v1/city/reports/{PERIOD}", bearer("city")

    async def submit(body: dict | None = None):
        return await caught_up(lambda: client.post(f"{cities}/submit", json=body, headers=city))

    answer = await submit()
    if answer.status_code == 409 and answer.json()["type"] == "/problems/report-state":
        returned = await client.post(f"{cities}/return", json={"reason": "重新报送"}, headers=bearer("province"))
        assert returned.status_code == 200, returned.text
        answer = await submit()
    if answer.status_code == 409 and answer.json()["type"] == "/problems/children-not-approved":
        answer = await submit({"incomplete_reason": "其他区未报"})
    assert answer.status_code == 200, answer.text
    await signed(client, answer.json())
    return answer.json()
