"""Security: reading out of scope, by node, through every relationship, and by new root fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from mypd_graph import models
from mypd_graph.schema.relay import from_global_id
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
)
from tests.security_helpers import STUDENT_PAGE, chunks, ids_in, nodes
from tests.security_world import EVERYONE, GHOST, OTHER_TEACHER, READERS, ROSTERS, Rich, gid
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


# --------------------------------------------------------------------------------------------------
# IDOR on every node type, for every user
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", EVERYONE)
async def test_node_returns_exactly_what_the_viewer_may_read(
    client: GraphQLClient, rich: Rich, viewer: str
) -> None:
    """Every object of every teacher (both districts) by ``node``: visible iff the rules say so."""
    targets = [global_id for mine in rich.owned.values() for global_id in mine.ids.values()]
    targets += list(rich.student_ids.values()) + list(rich.result_ids.values())
    found = await nodes(client, targets, as_=viewer)
    leaked = sorted(
        from_global_id(i) for i, node in found.items() if node and not rich.may_see(viewer, i)
    )
    hidden = sorted(
        from_global_id(i) for i, node in found.items() if not node and rich.may_see(viewer, i)
    )
    assert leaked == [], f"{viewer} reads what is not theirs"
    assert hidden == [], f"{viewer} cannot read what is theirs (the test world is wrong)"
    for global_id, node in found.items():
        if node:
            assert node["id"] == global_id


@pytest.mark.parametrize("viewer", EVERYONE)
async def test_district_scoped_nodes_never_cross_districts(
    client: GraphQLClient, rich: Rich, viewer: str
) -> None:
    """Users, schools, assessments and district goals of the other district are null (users of
    the viewer's own district follow the staff directory: test_security_directory.py)."""
    scoped = [i for i in sorted(rich.district_of) if from_global_id(i)[0] != "District"]
    found = await nodes(client, scoped, as_=viewer)
    for global_id, node in found.items():
        same = rich.district_of[global_id] == rich.district_of_user[viewer]
        if from_global_id(global_id)[0] == "User" and same:
            continue
        assert bool(node) is same, (viewer, from_global_id(global_id))
    districts = [i for i in rich.district_of if from_global_id(i)[0] == "District"]
    assert set((await nodes(client, districts, as_=viewer)).values()) == {None}
    data = await client.execute("{ district { id key } }", as_=viewer)
    assert rich.district_of[data["district"]["id"]] == rich.district_of_user[viewer]


@pytest.mark.parametrize("viewer", [TEACHER_B, OUTSIDER, IMPORTER, COACH])
async def test_invisible_and_missing_nodes_look_the_same(
    client: GraphQLClient, rich: Rich, viewer: str
) -> None:
    """``node`` on someone else's object and on an ID no row has: the same null, no error."""
    victim = rich.owned[TEACHER_C if viewer == COACH else TEACHER_A]
    for kind, global_id in victim.ids.items():
        type_name, _ = from_global_id(global_id)
        query = "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }"
        body = await client.raw(query, {"a": global_id, "b": gid(type_name, GHOST)}, as_=viewer)
        assert body == {"data": {"a": None, "b": None}}, kind
    query = "query($a: ID!, $b: ID!) { a: teacher(id: $a) { id } b: teacher(id: $b) { id } }"
    body = await client.raw(
        query, {"a": victim.ids["teacher"], "b": gid("Teacher", GHOST)}, as_=viewer
    )
    assert body == {"data": {"a": None, "b": None}}


# --------------------------------------------------------------------------------------------------
# Nested traversal: from what one may see to what one may not
# --------------------------------------------------------------------------------------------------

CRAWL_FRAGMENTS = """
fragment Obs on Observation { id observer { id school { id } teacher { id } }
  teacher { id } ratings { level { id } element { id } } comments { id author { id } } }
fragment Ev on Evidence { id teacher { id } elements { id }
  goals { id plan { id teacher { id } } } comments { id author { id } } }
fragment G on Goal { id plan { id } districtGoal { id } elements { id }
  comments { id author { id teacher { id } } } evidence { ...Ev }
  actionSteps { id goal { id } resource { id } } }
fragment P on LearningPlan { id teacher { id } history { actor { id teacher { id } } } goals { ...G } }
fragment Sec on Section { id school { id } sectionTeacher: teacher { id }
  students(first: 20) { totalCount nodes { id school { id } results { id assessment { id } } } } }
fragment T on Teacher { id user { id school { id } } school { id } focusElements { id }
  plans { ...P } observations { ...Obs } evidence { ...Ev }
  selfAssessments { id teacher { id } ratings { level { id } } }
  trainingRecords { id teacher { id } elements { id } }
  sections { ...Sec } students(first: 20) { totalCount nodes { id } } }
"""

LEAF_SELECTION = """__typename id
  ... on Goal { ...G plan { ...P } }
  ... on LearningPlan { ...P }
  ... on ActionStep { goal { id plan { id teacher { id } } } }
  ... on Evidence { ...Ev }
  ... on Observation { ...Obs }
  ... on Comment { author { id teacher { id } } }
  ... on SelfAssessment { teacher { id plans { id } } }
  ... on TrainingRecord { teacher { id plans { id } } }
  ... on Section { ...Sec }
  ... on Student { school { id } results { id } }
  ... on User { school { id } userTeacher: teacher { id plans { id } observations { id } } }
  ... on Teacher { ...T }"""


async def crawl(client: GraphQLClient, rich: Rich, viewer: str) -> set[str]:
    """Every ID the viewer reaches from every root and every object, through every relationship."""
    reached: set[str] = set()
    roots = (
        "query { viewer { id school { id } teacher { ...T } } "
        "district { id schools { id } teachers(first: 5) { nodes { ...T } } } "
        "districtGoals { id } }" + CRAWL_FRAGMENTS
    )
    reached |= ids_in(await client.execute(roots, as_=viewer))
    leaves = [global_id for mine in rich.owned.values() for global_id in mine.ids.values()]
    leaves += [gid("User", user_id) for user_id in rich.world.user_ids.values()]
    leaves += list(rich.student_ids.values())
    for part in chunks(leaves, 7):  # each node brings 3 aliases: 4 x 7 <= 30
        query = "query(" + ", ".join(f"$i{n}: ID!" for n in range(len(part))) + ") { "
        query += " ".join(f"n{n}: node(id: $i{n}) {{ {LEAF_SELECTION} }}" for n in range(len(part)))
        query += " }" + CRAWL_FRAGMENTS
        data = await client.execute(query, {f"i{n}": i for n, i in enumerate(part)}, as_=viewer)
        reached |= ids_in(data)
    return reached


@pytest.mark.parametrize("viewer", EVERYONE)
async def test_no_relationship_leads_out_of_scope(
    client: GraphQLClient, rich: Rich, viewer: str
) -> None:
    reached = await crawl(client, rich, viewer)
    leaked = sorted(from_global_id(i) for i in reached if not rich.may_see(viewer, i))
    assert leaked == []
    # The crawl is not vacuous: a reader reaches the teachers they serve and those teachers' data.
    for teacher, readers in READERS.items():
        if viewer in readers:
            comment = rich.owned[teacher].ids["evidence_comment"]
            assert (comment in reached) == rich.may_see(viewer, comment)
            assert rich.owned[teacher].ids["evidence"] in reached
            assert rich.result_ids[ROSTERS[teacher][0]] in reached


async def test_links_to_other_teachers_rows_are_not_followed(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """Defence in depth: even if a link row points across teachers (a bad import, a bug), neither
    side's reader reaches the other side through it."""
    a, b = rich.owned[TEACHER_A], rich.owned[TEACHER_B]
    async with db.sessionmaker.begin() as session:
        session.add_all(
            [
                models.EvidenceGoal(evidence_id=b.db["evidence"], goal_id=a.db["goal"]),
                models.EvidenceGoal(evidence_id=a.db["evidence"], goal_id=b.db["goal"]),
            ]
        )
    query = """query($g: ID!, $e: ID!) {
      g: node(id: $g) { ... on Goal { evidence { id title } } }
      e: node(id: $e) { ... on Evidence { goals { id title } } }
    }"""
    for viewer, mine in ((TEACHER_A, a), (TEACHER_B, b)):
        data = await client.execute(
            query, {"g": mine.ids["goal"], "e": mine.ids["evidence"]}, as_=viewer
        )
        assert [item["id"] for item in data["g"]["evidence"]] == [mine.ids["evidence"]]
        assert [item["id"] for item in data["e"]["goals"]] == [mine.ids["goal"]]
    # The goal is in a draft plan: the coach sees neither it nor the evidence's link to it.
    data = await client.execute(query, {"g": a.ids["goal"], "e": a.ids["evidence"]}, as_=COACH)
    assert data["g"] is None and data["e"]["goals"] == []


async def test_a_principal_does_not_reach_another_schools_students_through_a_teachers_section(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """Teacher A (North) also teaches a section at South with s6 in it: North's principal sees
    the section (A is theirs) but not the South student; A and A's coach see s6 (A teaches s6)."""
    world = rich.world
    async with db.sessionmaker.begin() as session:
        section = models.Section(
            school_id=world.school_ids["S"],
            teacher_id=world.id(TEACHER_A),
            local_id="A-SOUTH",
            name="Math 4 (A-SOUTH)",
            subject="Math",
            grade_level="4",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
        session.add(models.Enrollment(section_id=section.id, student_id=world.student_ids["s6"]))
    query = """query($s: ID!, $t: ID!, $st: ID!) {
      section: node(id: $s) { ... on Section { students { totalCount nodes { id } } } }
      teacher(id: $t) { students(first: 50) { totalCount nodes { id } } }
      student: node(id: $st) { id }
    }"""
    variables = {
        "s": gid("Section", section.id),
        "t": rich.owned[TEACHER_A].ids["teacher"],
        "st": rich.student_ids["s6"],
    }
    north = await client.execute(query, variables, as_=PRINCIPAL_NORTH)
    assert north["section"]["students"] == {"totalCount": 0, "nodes": []}
    assert rich.student_ids["s6"] not in ids_in(north["teacher"])
    assert north["teacher"]["students"]["totalCount"] == 3
    assert north["student"] is None
    for viewer in (TEACHER_A, COACH):
        data = await client.execute(query, variables, as_=viewer)
        assert data["section"]["students"]["nodes"] == [{"id": rich.student_ids["s6"]}]
        assert data["student"] == {"id": rich.student_ids["s6"]}


async def test_stray_rows_do_not_carry_a_coach_or_principal_across_districts(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """Defence in depth: a coach assignment to the other district's teacher, or a principal whose
    school is the other district's, reaches nothing there."""
    world = rich.world
    async with db.sessionmaker.begin() as session:
        session.add(
            models.CoachAssignment(coach_id=world.id(COACH), teacher_id=world.id(OTHER_TEACHER))
        )
        await session.execute(
            update(models.User)
            .where(models.User.id == world.id(PRINCIPAL_SOUTH))
            .values(school_id=world.school_ids["X"])
        )
    theirs = rich.owned[OTHER_TEACHER]
    targets = list(theirs.ids.values()) + [rich.student_ids["x1"], rich.result_ids["x1"]]
    for viewer in (COACH, PRINCIPAL_SOUTH):
        found = await nodes(client, targets, as_=viewer)
        assert set(found.values()) == {None}, viewer


async def test_a_stray_enrollment_does_not_show_another_districts_student(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    world = rich.world
    async with db.sessionmaker.begin() as session:
        session.add(
            models.Enrollment(
                section_id=world.section_ids["A-MATH"], student_id=world.student_ids["x1"]
            )
        )
    for viewer in (TEACHER_A, COACH):
        found = await nodes(client, [rich.student_ids["x1"]], as_=viewer)
        assert found == {rich.student_ids["x1"]: None}, viewer
        data = await client.execute(
            STUDENT_PAGE,
            {"t": rich.owned[TEACHER_A].ids["teacher"], "w": None, "first": 10},
            as_=viewer,
        )
        assert rich.student_ids["x1"] not in ids_in(data), viewer


# --------------------------------------------------------------------------------------------------
# Features added in parallel (imports, personalization): covered when present
# --------------------------------------------------------------------------------------------------

KNOWN_ROOT_FIELDS = {
    "node",
    "viewer",
    "district",
    "teacher",
    "frameworks",
    "framework",
    "districtGoals",
    "resources",
}


async def root_fields(client: GraphQLClient) -> list[dict[str, Any]]:
    data = await client.execute(
        """{ __schema { queryType { fields { name
          args { name type { kind ofType { kind } } }
          type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }""",
        as_=ADMIN,
    )
    return data["__schema"]["queryType"]["fields"]


def named_type(type_ref: dict[str, Any]) -> str:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref["name"]


async def selection_for(client: GraphQLClient, type_name: str) -> str:
    data = await client.execute(
        """query($n: String!) { __type(name: $n) { kind fields { name
          args { name type { kind } }
          type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }""",
        {"n": type_name},
        as_=ADMIN,
    )
    described = data["__type"]
    if described is None or described["kind"] not in {"OBJECT", "INTERFACE"}:
        return ""
    chosen = []
    for item in described["fields"]:
        if any(arg["type"]["kind"] == "NON_NULL" for arg in item["args"]):
            continue
        ref = item["type"]
        while ref.get("ofType"):
            ref = ref["ofType"]
        if ref["kind"] in {"SCALAR", "ENUM"}:
            chosen.append(item["name"])
        elif item["name"] in {"nodes", "edges"} or ref["kind"] in {"OBJECT", "INTERFACE"}:
            chosen.append(f"{item['name']} {{ __typename ... on Node {{ id }} }}")
    return " ".join(chosen)


async def test_new_root_fields_are_scoped_to_the_viewer(client: GraphQLClient, rich: Rich) -> None:
    """Any root field added after this file was written (imports, needs, reports...) that takes
    no required argument is asked by the other district's admin and by the importer: nothing of
    the test district's teachers or students may come back."""
    new = [
        item
        for item in await root_fields(client)
        if item["name"] not in KNOWN_ROOT_FIELDS
        and not any(arg["type"]["kind"] == "NON_NULL" for arg in item["args"])
    ]
    if not new:
        pytest.skip("no new root query fields yet")
    for item in new:
        selection = await selection_for(client, named_type(item["type"]))
        query = "{ " + item["name"] + (f" {{ {selection} }}" if selection else "") + " }"
        for viewer in (OUTSIDER, IMPORTER, TEACHER_B):
            body = await client.raw(query, as_=viewer)
            reached = ids_in(body.get("data"))
            leaked = [i for i in reached if i in rich.owner_of and not rich.may_see(viewer, i)]
            assert leaked == [], (item["name"], viewer)


@pytest.mark.parametrize("type_name", ["ImportRun", "Import", "ImportRowError", "AuditEvent"])
async def test_import_runs_and_the_audit_log_are_not_readable_across_districts(
    client: GraphQLClient, db: TestDatabase, rich: Rich, type_name: str
) -> None:
    """Whatever node type imports expose, a run of the test district stays in the test district;
    the audit log is not readable by ID by anyone."""
    async with db.sessionmaker.begin() as session:
        run = models.ImportRun(
            district_id=rich.world.district_id,
            user_id=rich.world.id(IMPORTER),
            importer="csv_scores",
            file_name="scores.csv",
            checksum="0" * 64,
            status="done",
        )
        session.add(run)
        await session.flush()
        session.add(
            models.ImportRowError(
                import_id=run.id, row=2, column="score", value="s1 Firsts1 999", reason="bad"
            )
        )
        event = models.AuditEvent(
            user_id=rich.world.id(ADMIN), action="read", entity="student", entity_ids=["1"]
        )
        session.add(event)
        await session.flush()
        run_id, event_id = run.id, event.id
    db_id = event_id if type_name == "AuditEvent" else run_id
    viewers = (OUTSIDER, OTHER_TEACHER, TEACHER_A, COACH, PRINCIPAL_SOUTH)
    if type_name == "AuditEvent":
        viewers += (ADMIN, IMPORTER)
    for viewer in viewers:
        found = await nodes(client, [gid(type_name, db_id)], as_=viewer)
        assert list(found.values()) == [None], viewer
