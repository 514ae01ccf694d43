"""Where a person reads a gap or a lineage row, the town and the project are named, their ids kept
in the machine fields (`code`, `payload`)."""

from tests.builders import compliant_station, project_contracted, service_delivered
from tests.support import bearer, record, report, sign

CARE = "关爱独居老人项目"


async def test_an_overdue_self_evaluation_names_the_project(client, district):
    town = district.town
    project = project_contracted(town, name=CARE)
    await record(client, district, compliant_station(town, sign(district, town)))
    position = await record(client, district, [project])

    after = await report(client, district, position, period="2025H2")

    compliance = next(t for t in after["towns"] if t["town"] == town)["compliance"]
    overdue = next(g for g in compliance["gap_details"] if g["kind"] == "self_evaluation_overdue")
    assert overdue["code"] == f"self_evaluation_overdue:{project['project']}:1"
    assert overdue["zh"] == f"项目「{CARE}」第1合同年度中期自评逾期"
    assert overdue["zh"] in compliance["gaps"]
    assert project["project"] not in " ".join(compliance["gaps"])


async def test_lineage_rows_name_the_town_and_the_project_beside_their_ids(client, district):
    town = district.town
    project = project_contracted(town, name=CARE)
    position = await record(client, district, [project, service_delivered(town)])
    await report(client, district, position)
    base = f"/v1/districts/{district.code}/reports/2025H1/lineage"
    staff = bearer("district", district.code)

    core = (await client.get(base, params={"figure": "projects.core"}, headers=staff)).json()["events"]
    services = (await client.get(base, params={"figure": "person_times"}, headers=staff)).json()["events"]

    [contracted] = core
    assert (contracted["payload"]["project"], contracted["project_name"]) == (project["project"], CARE)
    assert (contracted["payload"]["town"], contracted["town_name"]) == (town, district.towns[town])
    [served] = services
    assert (served["town_name"], served["project_name"]) == (district.towns[town], None)
