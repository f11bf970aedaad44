"""The staff directory, role by role: whose ``node(id)`` a User may look up and whose email they may
read, by default ("school") and when the district opens it ("district"); only an admin changes it."""

from __future__ import annotations

import pytest

from mypd_graph.schema.relay import to_global_id
from tests.conftest import GraphQLClient
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.feedback_helpers import observe, teacher_id

STAFF = [ADMIN, PRINCIPAL_NORTH, PRINCIPAL_SOUTH, COACH, TEACHER_A, TEACHER_B, TEACHER_C, IMPORTER]
DISTRICT = set(STAFF)

# viewer -> (whom they find by id, whose email they read), with the default "school" directory.
# North: principal N, teachers A and B; South: principal S, teacher C; the coach serves A only.
SCHOOL_RULE = {
    TEACHER_A: (
        {TEACHER_A, TEACHER_B, PRINCIPAL_NORTH, COACH, ADMIN},
        {TEACHER_A, PRINCIPAL_NORTH, COACH},
    ),
    TEACHER_B: ({TEACHER_B, TEACHER_A, PRINCIPAL_NORTH, ADMIN}, {TEACHER_B, PRINCIPAL_NORTH}),
    TEACHER_C: ({TEACHER_C, PRINCIPAL_SOUTH, ADMIN}, {TEACHER_C, PRINCIPAL_SOUTH}),
    COACH: (
        {COACH, TEACHER_A, PRINCIPAL_NORTH, ADMIN},
        {COACH, TEACHER_A, PRINCIPAL_NORTH, ADMIN},
    ),
    PRINCIPAL_NORTH: (
        {PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, COACH, ADMIN},
        {PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, COACH, ADMIN},
    ),
    PRINCIPAL_SOUTH: (
        {PRINCIPAL_SOUTH, TEACHER_C, ADMIN},
        {PRINCIPAL_SOUTH, TEACHER_C, ADMIN},
    ),
    ADMIN: (DISTRICT, DISTRICT),
    IMPORTER: (DISTRICT, DISTRICT),
}

SET_DIRECTORY = """
mutation($scope: StaffDirectoryScope!) {
  setStaffDirectory(input: { scope: $scope }) { district { staffDirectory } userErrors { code } }
}
"""


async def directory_of(client: GraphQLClient, world: World, viewer: str) -> tuple[set, set]:
    """(users the viewer finds by id, users whose email they read), over the whole staff and the
    other district's admin."""
    everyone = [*STAFF, OUTSIDER]
    fields = " ".join(
        f'u{i}: node(id: "{to_global_id("User", world.id(email))}") {{ ... on User {{ email }} }}'
        for i, email in enumerate(everyone)
    )
    data = await client.execute(f"{{ {fields} }}", as_=viewer)
    found = {email for i, email in enumerate(everyone) if data[f"u{i}"] is not None}
    emails = {email for i, email in enumerate(everyone) if (data[f"u{i}"] or {}).get("email")}
    for i, email in enumerate(everyone):  # an email shown is the user's own
        assert (data[f"u{i}"] or {}).get("email") in (None, email)
    return found, emails


@pytest.mark.parametrize("viewer", sorted(SCHOOL_RULE))
async def test_the_school_directory_by_role(
    client: GraphQLClient, world: World, viewer: str
) -> None:
    found, emails = await directory_of(client, world, viewer)
    assert (found, emails) == SCHOOL_RULE[viewer]
    assert OUTSIDER not in found


@pytest.mark.parametrize("viewer", [TEACHER_A, TEACHER_C, COACH, PRINCIPAL_SOUTH])
async def test_an_open_directory_shows_the_district_and_no_further(
    client: GraphQLClient, world: World, viewer: str
) -> None:
    changed = await client.execute(SET_DIRECTORY, {"scope": "DISTRICT"}, as_=ADMIN)
    assert changed["setStaffDirectory"]["district"] == {"staffDirectory": "DISTRICT"}
    assert await directory_of(client, world, viewer) == (DISTRICT, DISTRICT)
    await client.execute(SET_DIRECTORY, {"scope": "SCHOOL"}, as_=ADMIN)
    assert await directory_of(client, world, viewer) == SCHOOL_RULE[viewer]


@pytest.mark.parametrize("viewer", [TEACHER_A, COACH, PRINCIPAL_NORTH, IMPORTER])
async def test_only_the_district_admin_changes_the_directory(
    client: GraphQLClient, world: World, viewer: str
) -> None:
    body = await client.execute(SET_DIRECTORY, {"scope": "DISTRICT"}, as_=viewer)
    assert body["setStaffDirectory"] == {"district": None, "userErrors": [{"code": "FORBIDDEN"}]}
    data = await client.execute("{ district { staffDirectory } }", as_=ADMIN)
    assert data["district"]["staffDirectory"] == "SCHOOL"


async def test_another_districts_admin_changes_only_their_own(
    client: GraphQLClient, world: World
) -> None:
    body = await client.execute(SET_DIRECTORY, {"scope": "DISTRICT"}, as_=OUTSIDER)
    assert body["setStaffDirectory"]["userErrors"] == []
    assert await directory_of(client, world, TEACHER_C) == SCHOOL_RULE[TEACHER_C]


async def test_people_on_a_visible_record_are_named_without_their_email(
    client: GraphQLClient, world: World
) -> None:
    """The admin who observed teacher C is named on C's observation; the email stays the rule's."""
    await observe(client, world, teacherId=teacher_id(world, TEACHER_C), as_=ADMIN)
    query = "query($id: ID!) { teacher(id: $id) { observations { observer { name email } } } }"
    data = await client.execute(query, {"id": teacher_id(world, TEACHER_C)}, as_=TEACHER_C)
    [observation] = data["teacher"]["observations"]
    assert observation["observer"]["name"] and observation["observer"]["email"] is None
