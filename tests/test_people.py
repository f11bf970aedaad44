"""Profiles, focus elements, teacher filters and visibility by role."""

from __future__ import annotations

import pytest

from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
)

TEACHERS = "{ district { teachers(first: 100) { totalCount nodes { email } } } }"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (ADMIN, {TEACHER_A, TEACHER_B, TEACHER_C}),
        (PRINCIPAL_NORTH, {TEACHER_A, TEACHER_B}),
        (PRINCIPAL_SOUTH, {TEACHER_C}),
        (COACH, {TEACHER_A}),
        (TEACHER_B, {TEACHER_B}),
        (OUTSIDER, set()),
    ],
)
async def test_each_role_sees_exactly_the_teachers_it_serves(client, viewer, expected) -> None:
    data = await client.execute(TEACHERS, as_=viewer)
    teachers = data["district"]["teachers"]
    assert {node["email"] for node in teachers["nodes"]} == expected
    assert teachers["totalCount"] == len(expected)


async def test_teacher_by_id_and_node_are_null_outside_scope(client, world) -> None:
    ana = to_global_id("Teacher", world.id(TEACHER_A))
    query = "query($id: ID!) { teacher(id: $id) { email } node(id: $id) { id } }"
    assert (await client.execute(query, {"id": ana}, as_=COACH))["teacher"] == {"email": TEACHER_A}
    hidden = await client.execute(query, {"id": ana}, as_=PRINCIPAL_SOUTH)
    assert hidden == {"teacher": None, "node": None}
    assert (await client.execute(query, {"id": ana}, as_=OUTSIDER))["teacher"] is None
    garbage = await client.execute(query, {"id": "garbage"}, as_=ADMIN)
    assert garbage == {"teacher": None, "node": None}


UPDATE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  teacher { name subjects gradeLevels yearsExperience bio } userErrors { field message code } } }"""


async def test_teacher_updates_own_profile(client) -> None:
    data = await client.execute(
        UPDATE,
        {
            "input": {
                "name": " Ana A. Alvarez ",
                "subjects": ["Science", "Math", "Math"],
                "gradeLevels": ["4", "5"],
                "yearsExperience": 4,
            }
        },
        as_=TEACHER_A,
    )
    assert data["updateProfile"] == {
        "teacher": {
            "name": "Ana A. Alvarez",
            "subjects": ["Math", "Science"],
            "gradeLevels": ["4", "5"],
            "yearsExperience": 4,
            "bio": "",
        },
        "userErrors": [],
    }


async def test_profile_input_errors_name_their_field(client) -> None:
    data = await client.execute(UPDATE, {"input": {"yearsExperience": 99}}, as_=TEACHER_A)
    [error] = data["updateProfile"]["userErrors"]
    assert error["field"] == ["input", "yearsExperience"] and error["code"] == "OUT_OF_RANGE"
    blank = await client.execute(UPDATE, {"input": {"name": "  "}}, as_=TEACHER_A)
    assert blank["updateProfile"]["userErrors"][0]["field"] == ["input", "name"]
    not_teacher = await client.execute(UPDATE, {"input": {"bio": "x"}}, as_=PRINCIPAL_NORTH)
    assert not_teacher["updateProfile"]["userErrors"][0]["code"] == "NOT_A_TEACHER"


FOCUS = """mutation($codes: [String!]!) { setFocusElements(input: {elementCodes: $codes}) {
  focusElements { code } teacher { focusElements { code } } userErrors { field code message } } }"""


async def test_focus_elements_replace_the_set_and_filter_teachers(client) -> None:
    await client.execute(FOCUS, {"codes": ["1.1", "5.2"]}, as_=TEACHER_A)
    data = await client.execute(FOCUS, {"codes": ["5.2", "3.1"]}, as_=TEACHER_A)
    assert {e["code"] for e in data["setFocusElements"]["teacher"]["focusElements"]} == {
        "3.1",
        "5.2",
    }
    filtered = await client.execute(
        '{ district { teachers(where: {focusElementCode: "5.2"}) { nodes { email } } } }', as_=ADMIN
    )
    assert filtered["district"]["teachers"]["nodes"] == [{"email": TEACHER_A}]


async def test_unknown_focus_codes_write_nothing(client) -> None:
    await client.execute(FOCUS, {"codes": ["1.1"]}, as_=TEACHER_A)
    data = await client.execute(FOCUS, {"codes": ["1.1", "9.9"]}, as_=TEACHER_A)
    [error] = data["setFocusElements"]["userErrors"]
    assert error["code"] == "UNKNOWN_ELEMENT" and "9.9" in error["message"]
    assert error["field"] == ["input", "elementCodes"]
    mine = await client.execute("{ viewer { teacher { focusElements { code } } } }", as_=TEACHER_A)
    assert mine["viewer"]["teacher"]["focusElements"] == [{"code": "1.1"}]


async def test_only_district_admins_activate_frameworks(client) -> None:
    query = 'mutation { activateFramework(key: "cstp-2009") { district { activeFramework { key } } userErrors { code } } }'
    denied = await client.execute(query, as_=PRINCIPAL_NORTH)
    assert denied["activateFramework"]["userErrors"] == [{"code": "FORBIDDEN"}]
    done = await client.execute(query, as_=ADMIN)
    assert done["activateFramework"]["district"]["activeFramework"]["key"] == "cstp-2009"
    unknown = await client.execute(
        'mutation { activateFramework(key: "nope") { userErrors { field code } } }', as_=ADMIN
    )
    assert unknown["activateFramework"]["userErrors"] == [{"field": ["key"], "code": "NOT_FOUND"}]


async def test_school_filter(client, world) -> None:
    south = to_global_id("School", world.school_ids["S"])
    data = await client.execute(
        "query($s: ID!) { district { schools { name } teachers(where: {schoolId: $s}) { nodes { email } } } }",
        {"s": south},
        as_=ADMIN,
    )
    assert data["district"]["teachers"]["nodes"] == [{"email": TEACHER_C}]
    assert [s["name"] for s in data["district"]["schools"]] == ["North Elementary", "South Middle"]
