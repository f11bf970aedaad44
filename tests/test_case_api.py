"""CASE out over HTTP: the read-only provider endpoints, public, with stable identifiers."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.factories import ADMIN
from tests.test_case_import import CCSS, snapshot, upload

BASE = "/ims/case/v1p0"
# Plugin frameworks carry no UUIDs: theirs are uuid5 of the key and code (services/frameworks/
# identity.py), written out here so that a change to the formula fails this test.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mypd-graph:case")
CSTP = str(uuid.uuid5(NAMESPACE, "framework:cstp-2009"))
CSTP_1_1 = str(uuid.uuid5(NAMESPACE, "framework:cstp-2009:item:1.1"))
CSTP_1_1_LINK = str(uuid.uuid5(NAMESPACE, "framework:cstp-2009:isChildOf:1.1"))


async def get(client: Any, path: str) -> tuple[int, Any]:
    response = await client.http.get(f"{BASE}{path}")  # no token: the standards are public
    return response.status_code, response.json()


async def test_cstp_as_a_case_provider(client) -> None:
    status, listing = await get(client, "/CFDocuments")
    assert status == 200
    [document] = [d for d in listing["CFDocuments"] if d["title"].startswith("California")]
    assert document["identifier"] == CSTP and document["version"] == "2009"
    assert document["uri"] == f"http://test{BASE}/CFDocuments/{CSTP}"

    status, same = await get(client, f"/CFDocuments/{CSTP}")
    assert status == 200 and same == document

    status, package = await get(client, f"/CFPackages/{CSTP}")
    assert status == 200 and package["CFDocument"] == document
    assert len(package["CFItems"]) == 44
    first = package["CFItems"][1]
    assert (first["identifier"], first["humanCodingScheme"], first["CFItemType"]) == (
        CSTP_1_1,
        "1.1",
        "Element",
    )
    assert first["fullStatement"] == "Using knowledge of students to engage them in learning"
    [rubric] = package["CFRubrics"]
    levels = rubric["CFRubricCriteria"][0]["CFRubricCriterionLevels"]
    assert [(lv["quality"], lv["position"]) for lv in levels] == [
        ("Emerging", 1), ("Exploring", 2), ("Applying", 3), ("Integrating", 4), ("Innovating", 5),
    ]  # fmt: skip

    status, item = await get(client, f"/CFItems/{CSTP_1_1}")
    assert status == 200 and item == first

    status, link = await get(client, f"/CFAssociations/{CSTP_1_1_LINK}")
    assert status == 200
    assert (link["associationType"], link["sequenceNumber"]) == ("isChildOf", 1)
    assert link["originNodeURI"]["identifier"] == CSTP_1_1
    assert link["destinationNodeURI"]["title"] == "1"
    assert link in package["CFAssociations"]

    status, served_rubric = await get(client, f"/CFRubrics/{rubric['identifier']}")
    assert status == 200 and served_rubric == rubric


async def test_unknown_identifiers_answer_404_in_the_binding_shape(client) -> None:
    for kind in ("CFPackages", "CFDocuments", "CFItems", "CFAssociations", "CFRubrics"):
        status, body = await get(client, f"/{kind}/00000000-0000-0000-0000-000000000000")
        assert status == 404, kind
        assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
        field = body["imsx_codeMinor"]["imsx_codeMinorField"][0]
        assert field["imsx_codeMinorFieldValue"] == "unknownobject"
    response = await client.http.post(f"{BASE}/CFDocuments")
    assert response.status_code == 405  # read-only


async def test_an_imported_package_keeps_its_publishers_identifiers(db, client) -> None:
    levels = ["Beginning", "Developing", "Proficient"]
    done = await upload(client, CCSS.read_bytes(), as_=ADMIN, rated="Standard", levels=levels)
    assert done["userErrors"] == []
    status, item = await get(client, "/CFItems/b6f61076-aa12-450b-8f9d-b86bc071f85e")
    assert status == 200 and item["humanCodingScheme"] == "CCSS.Math.Content.6.RP.A.1"
    status, link = await get(client, "/CFAssociations/4ad37462-644e-4c3f-a98f-cc9a7f7b827a")
    assert status == 200
    assert link["destinationNodeURI"]["identifier"] == "edfce0e7-dbbf-40d5-af1a-baccabef85e9"
    status, package = await get(client, "/CFPackages/20c5134f-423d-4097-a971-3dd5152bf507")
    assert status == 200 and len(package["CFItems"]) == 16
    # Standards are rated, not the leaves: the rubric names them so the file says so itself.
    named = [c["CFItemURI"]["title"] for c in package["CFRubrics"][0]["CFRubricCriteria"][1:]]
    assert named[:3] == [
        "CCSS.Math.Content.6.RP.A.1",
        "CCSS.Math.Content.6.RP.A.2",
        "CCSS.Math.Content.6.RP.A.3",
    ]

    # The file carries its rated level and levels: imported again under a new key, with no
    # option, it is the same framework (a copy, with identifiers of its own).
    again = await upload(client, json.dumps(package).encode(), as_=ADMIN, key="ccss-copy")
    assert again["userErrors"] == [], again
    assert [lv["key"] for lv in again["framework"]["levels"]] == [
        "beginning", "developing", "proficient",
    ]  # fmt: skip
    original, copied = (
        await snapshot(db, "what-standards-could-be"),
        await snapshot(db, "ccss-copy"),
    )
    assert copied["tree"] == original["tree"] and copied["levels"] == original["levels"]
