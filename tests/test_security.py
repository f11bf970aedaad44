"""Adversarial tests: an attacker's view of the GraphQL API over HTTP.

Every test here plays someone trying to reach what they must not: another teacher's plans, a school
they do not lead, a district they do not belong to, student records without a legitimate educational
interest, a write they have no right to, or the service itself without a valid token. The rules under
attack are those of DESIGN.md ("Security and data protection") and ``services/access.py``.

A test that shows a real hole is kept, marked ``xfail(strict=True, reason="SECURITY: ...")``: the
suite stays green, the hole stays recorded, and the test turns red (XPASS) the day it is fixed so the
marker can go.

The world is the shared one of ``tests/factories.py``, made richer by :func:`build_rich`: every
teacher (and a teacher of the *other* district) owns a draft, a submitted and an approved plan, a
goal, an action step, evidence, a self-assessment, a training record, an observation and comments,
all inserted with the models, so every test attacks real rows with real IDs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select, update

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import ISSUER
from mypd_graph.models import Base
from mypd_graph.schema.relay import from_global_id, to_global_id
from mypd_graph.services.students.status import refresh_result_status
from tests.conftest import SECRET
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

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

OTHER_TEACHER = "teacher@other.mypd"  # a teacher of the other district, observed by OUTSIDER
TEACHERS = (TEACHER_A, TEACHER_B, TEACHER_C, OTHER_TEACHER)
EVERYONE = (
    ADMIN,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    COACH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    OUTSIDER,
    IMPORTER,
    OTHER_TEACHER,
)
# Who may read each teacher's growth data and students (the rules of services/access.py).
READERS = {
    TEACHER_A: {TEACHER_A, COACH, PRINCIPAL_NORTH, ADMIN},
    TEACHER_B: {TEACHER_B, PRINCIPAL_NORTH, ADMIN},
    TEACHER_C: {TEACHER_C, PRINCIPAL_SOUTH, ADMIN},
    OTHER_TEACHER: {OTHER_TEACHER, OUTSIDER},
}
SECTIONS = {TEACHER_A: "A-MATH", TEACHER_B: "B-MATH", TEACHER_C: "C-ELA", OTHER_TEACHER: "X-ELA"}
ROSTERS = {
    TEACHER_A: ["s1", "s2", "s3"],
    TEACHER_B: ["s4", "s5"],
    TEACHER_C: ["s6", "s7"],
    OTHER_TEACHER: ["x1"],
}
OBSERVERS = {
    TEACHER_A: COACH,
    TEACHER_B: PRINCIPAL_NORTH,
    TEACHER_C: PRINCIPAL_SOUTH,
    OTHER_TEACHER: OUTSIDER,
}
# Shared catalogs every signed-in user may read (frameworks and resources are not district data).
CATALOG_TYPES = {"Framework", "RatingLevel", "Element", "Standard", "Resource"}
GHOST = 987_654  # a database id no row has
ERRORS = "userErrors { field message code }"
DENIED = {"NOT_FOUND", "FORBIDDEN"}


def gid(type_name: str, db_id: int) -> str:
    return str(to_global_id(type_name, db_id))


def raw_id(text: str) -> str:
    """A global ID built from arbitrary text, for IDs this API never issued."""
    return base64.urlsafe_b64encode(text.encode()).decode()


# --------------------------------------------------------------------------------------------------
# The rich world
# --------------------------------------------------------------------------------------------------


@dataclass
class Owned:
    """One teacher's objects: global IDs by kind, and their database ids."""

    email: str
    ids: dict[str, str] = field(default_factory=dict)
    db: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, type_name: str, db_id: int) -> None:
        self.ids[kind] = gid(type_name, db_id)
        self.db[kind] = db_id


@dataclass
class Rich:
    world: World
    owned: dict[str, Owned]
    district_of_user: dict[str, int]
    owner_of: dict[str, str]  # global ID -> the teacher whose data it is
    district_of: dict[str, int]  # global ID -> district, for district-scoped objects
    student_ids: dict[str, str]  # local id -> global ID
    result_ids: dict[str, str]  # student local id -> global ID of its result
    district_goal: str = ""
    other_district_goal: str = ""

    def may_see(self, viewer: str, global_id: str) -> bool:
        if global_id in self.owner_of:
            return viewer in READERS[self.owner_of[global_id]]
        if global_id in self.district_of:
            return self.district_of[global_id] == self.district_of_user[viewer]
        type_name, _ = from_global_id(global_id)
        return type_name in CATALOG_TYPES


async def build_rich(db: TestDatabase, world: World) -> Rich:
    """Add a teacher in the other district and growth data for every teacher (see module doc)."""
    level = world.level_ids
    element = world.element_ids["1.1"]
    other = world.other_district_id
    async with db.sessionmaker.begin() as session:
        outsider_teacher = models.User(
            district_id=other,
            school_id=world.school_ids["X"],
            email=OTHER_TEACHER,
            name="Olga Other",
            role=models.Role.TEACHER.value,
        )
        session.add(outsider_teacher)
        await session.flush()
        world.user_ids[OTHER_TEACHER] = outsider_teacher.id
        session.add(
            models.TeacherProfile(
                user_id=outsider_teacher.id,
                school_id=world.school_ids["X"],
                subjects=["ELA"],
                grade_levels=["9"],
                years_experience=5,
            )
        )
        section = models.Section(
            school_id=world.school_ids["X"],
            teacher_id=outsider_teacher.id,
            local_id="X-ELA",
            name="ELA 9 (X-ELA)",
            subject="ELA",
            grade_level="9",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
        world.section_ids["X-ELA"] = section.id
        session.add(models.Enrollment(section_id=section.id, student_id=world.student_ids["x1"]))
        far_test = models.Assessment(
            district_id=other, key="map-math", name="MAP Growth Math", subject="Math"
        )
        session.add(far_test)
        await session.flush()
        session.add(
            models.AssessmentResult(
                assessment_id=far_test.id,
                student_id=world.student_ids["x1"],
                school_year="2025-26",
                term="Fall",
                scale_score=250.0,
                achievement_level=3,
                percentile=70,
            )
        )
        await session.flush()
        await refresh_result_status(session, other)
        goal_here = models.DistrictGoal(district_id=world.district_id, title="Literacy for all")
        goal_there = models.DistrictGoal(district_id=other, title="Elsewhere initiative")
        session.add_all([goal_here, goal_there])
        await session.flush()

        owned: dict[str, Owned] = {}
        for email in TEACHERS:
            teacher_id = world.user_ids[email]
            observer_id = world.user_ids[OBSERVERS[email]]
            mine = Owned(email)
            owned[email] = mine
            mine.add("teacher", "Teacher", teacher_id)
            mine.add("section", "Section", world.section_ids[SECTIONS[email]])
            plans = {
                "plan": ("2025-26", models.PlanStatus.DRAFT),
                "submitted_plan": ("2024-25", models.PlanStatus.SUBMITTED),
                "approved_plan": ("2023-24", models.PlanStatus.APPROVED),
                "second_submitted_plan": ("2022-23", models.PlanStatus.SUBMITTED),
            }
            for kind, (cycle, status) in plans.items():
                plan = models.LearningPlan(
                    teacher_id=teacher_id, cycle=cycle, title=f"{kind} of {email}", status=status
                )
                session.add(plan)
                await session.flush()
                mine.add(kind, "LearningPlan", plan.id)
                if status is not models.PlanStatus.DRAFT:
                    session.add(
                        models.PlanEvent(
                            plan_id=plan.id,
                            actor_id=teacher_id,
                            action="submit",
                            from_status="draft",
                            to_status="submitted",
                            note="",
                        )
                    )
            goal = models.Goal(
                plan_id=mine.db["plan"], title=f"secret goal of {email}", progress=10
            )
            approved_goal = models.Goal(
                plan_id=mine.db["approved_plan"], title=f"approved goal of {email}", progress=50
            )
            session.add_all([goal, approved_goal])
            await session.flush()
            mine.add("goal", "Goal", goal.id)
            mine.add("approved_goal", "Goal", approved_goal.id)
            session.add(models.GoalElement(goal_id=goal.id, element_id=element))
            step = models.ActionStep(goal_id=goal.id, description=f"step of {email}")
            evidence = models.Evidence(
                teacher_id=teacher_id, kind="reflection", title=f"evidence of {email}"
            )
            assessment = models.SelfAssessment(teacher_id=teacher_id, cycle="2025-26")
            training = models.TrainingRecord(
                teacher_id=teacher_id,
                title=f"training of {email}",
                completed_on=date(2025, 1, 10),
                hours=3.0,
            )
            observation = models.Observation(
                teacher_id=teacher_id,
                observer_id=observer_id,
                kind="informal",
                observed_on=date(2025, 10, 1),
                notes=f"private notes on {email}",
            )
            session.add_all([step, evidence, assessment, training, observation])
            await session.flush()
            mine.add("step", "ActionStep", step.id)
            mine.add("evidence", "Evidence", evidence.id)
            mine.add("self_assessment", "SelfAssessment", assessment.id)
            mine.add("training", "TrainingRecord", training.id)
            mine.add("observation", "Observation", observation.id)
            session.add_all(
                [
                    models.EvidenceGoal(evidence_id=evidence.id, goal_id=goal.id),
                    models.EvidenceElement(evidence_id=evidence.id, element_id=element),
                    models.SelfAssessmentRating(
                        self_assessment_id=assessment.id,
                        element_id=element,
                        level_id=level["emerging"],
                    ),
                    models.TrainingRecordElement(
                        training_record_id=training.id, element_id=element
                    ),
                    models.ObservationRating(
                        observation_id=observation.id,
                        element_id=element,
                        level_id=level["applying"],
                    ),
                    models.FocusElement(teacher_id=teacher_id, element_id=element),
                ]
            )
            comments = {
                "goal_comment": models.Comment(
                    author_id=teacher_id, body="on my goal", goal_id=goal.id
                ),
                "evidence_comment": models.Comment(
                    author_id=observer_id, body="on the evidence", evidence_id=evidence.id
                ),
                "observation_comment": models.Comment(
                    author_id=teacher_id, body="on the observation", observation_id=observation.id
                ),
            }
            session.add_all(comments.values())
            await session.flush()
            for kind, comment in comments.items():
                mine.add(kind, "Comment", comment.id)

        results = {
            student_id: result_id
            for result_id, student_id in await session.execute(
                select(models.AssessmentResult.id, models.AssessmentResult.student_id)
            )
        }
        assessments = list(
            await session.execute(select(models.Assessment.id, models.Assessment.district_id))
        )
        users = list(await session.execute(select(models.User.email, models.User.district_id)))

    owner_of: dict[str, str] = {}
    for email, mine in owned.items():
        for global_id in mine.ids.values():
            owner_of[global_id] = email
    student_ids: dict[str, str] = {}
    result_ids: dict[str, str] = {}
    for email, roster in ROSTERS.items():
        for local_id in roster:
            db_id = world.student_ids[local_id]
            student_ids[local_id] = gid("Student", db_id)
            result_ids[local_id] = gid("AssessmentResult", results[db_id])
            owner_of[student_ids[local_id]] = email
            owner_of[result_ids[local_id]] = email
    district_of_user = dict(users)
    district_of = {gid("User", world.user_ids[email]): d for email, d in district_of_user.items()}
    for key, school_id in world.school_ids.items():
        district_of[gid("School", school_id)] = other if key == "X" else world.district_id
    for assessment_id, district_id in assessments:
        district_of[gid("Assessment", assessment_id)] = district_id
    district_of[gid("District", world.district_id)] = world.district_id
    district_of[gid("District", other)] = other
    district_of[gid("DistrictGoal", goal_here.id)] = world.district_id
    district_of[gid("DistrictGoal", goal_there.id)] = other
    return Rich(
        world,
        owned,
        district_of_user,
        owner_of,
        district_of,
        student_ids,
        result_ids,
        district_goal=gid("DistrictGoal", goal_here.id),
        other_district_goal=gid("DistrictGoal", goal_there.id),
    )


@pytest.fixture
async def rich(db: TestDatabase, world: World) -> Rich:
    return await build_rich(db, world)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

MUTATIONS = {
    "addGoal": ("AddGoalInput", "goal { id title }"),
    "updateGoal": ("UpdateGoalInput", "goal { id title progress }"),
    "addActionStep": ("AddActionStepInput", "actionStep { id }"),
    "updateActionStep": ("UpdateActionStepInput", "actionStep { id status description }"),
    "submitPlan": ("PlanTransitionInput", "plan { id status }"),
    "approvePlan": ("PlanTransitionInput", "plan { id status }"),
    "returnPlan": ("PlanTransitionInput", "plan { id status }"),
    "completePlan": ("PlanTransitionInput", "plan { id status }"),
    "recordObservation": ("RecordObservationInput", "observation { id notes }"),
    "addEvidence": ("AddEvidenceInput", "evidence { id }"),
    "updateEvidence": ("UpdateEvidenceInput", "evidence { id title }"),
    "addComment": ("AddCommentInput", "comment { id }"),
    "recordTrainingRecord": ("RecordTrainingRecordInput", "trainingRecord { id }"),
    "submitSelfAssessment": ("SubmitSelfAssessmentInput", "selfAssessment { id }"),
    "updateProfile": ("UpdateProfileInput", "teacher { id bio }"),
    "setFocusElements": ("SetFocusElementsInput", "teacher { id }"),
    "createLearningPlan": ("CreateLearningPlanInput", "plan { id status }"),
}
ID_FIELDS = {
    "planId": "LearningPlan",
    "goalId": "Goal",
    "actionStepId": "ActionStep",
    "evidenceId": "Evidence",
    "observationId": "Observation",
    "teacherId": "Teacher",
}


async def mutate(
    client: GraphQLClient, name: str, input: dict[str, Any], as_: str
) -> dict[str, Any]:
    """Run one mutation; the payload (its object under ``result`` and its ``userErrors``)."""
    input_type, selection = MUTATIONS[name]
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
    )
    payload = (await client.execute(query, {"input": input}, as_=as_))[name]
    result_key = selection.split(" ", 1)[0]
    return {"result": payload[result_key], "userErrors": payload["userErrors"]}


def owner_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes only the owning teacher may make, each valid when the owner makes it (in order)."""
    return [
        ("addGoal", {"planId": o.ids["plan"], "title": "pwned", "elementCodes": ["1.1"]}),
        ("updateGoal", {"goalId": o.ids["goal"], "title": "pwned"}),
        ("updateGoal", {"goalId": o.ids["approved_goal"], "progress": 99}),
        ("addActionStep", {"goalId": o.ids["goal"], "description": "pwned"}),
        ("updateActionStep", {"actionStepId": o.ids["step"], "description": "pwned"}),
        ("updateActionStep", {"actionStepId": o.ids["step"], "status": "DONE"}),
        ("updateEvidence", {"evidenceId": o.ids["evidence"], "title": "pwned"}),
        ("submitPlan", {"planId": o.ids["plan"]}),
    ]


def supervisor_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes the supervisors serving the teacher may make (each valid for them, in order)."""
    return [
        ("approvePlan", {"planId": o.ids["submitted_plan"]}),
        ("returnPlan", {"planId": o.ids["second_submitted_plan"], "note": "pwned"}),
        (
            "recordObservation",
            {
                "teacherId": o.ids["teacher"],
                "kind": "INFORMAL",
                "observedOn": "2025-10-02",
                "notes": "pwned",
            },
        ),
    ]


def reader_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes anyone who may read the teacher's data may make (the teacher and supervisors)."""
    return [
        ("addComment", {"goalId": o.ids["goal"], "body": "pwned"}),
        ("addComment", {"evidenceId": o.ids["evidence"], "body": "pwned"}),
        ("addComment", {"observationId": o.ids["observation"], "body": "pwned"}),
        ("completePlan", {"planId": o.ids["approved_plan"]}),
    ]


def admin_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "recordTrainingRecord",
            {
                "teacherId": o.ids["teacher"],
                "title": "pwned",
                "completedOn": "2025-01-01",
                "hours": 1.0,
            },
        )
    ]


def every_write(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    return owner_writes(o) + supervisor_writes(o) + reader_writes(o) + admin_writes(o)


def ghost_of(input: dict[str, Any]) -> dict[str, Any]:
    """The same input aimed at an object of the same type that does not exist."""
    return {
        key: gid(ID_FIELDS[key], GHOST) if key in ID_FIELDS else value
        for key, value in input.items()
    }


async def fingerprint(db: TestDatabase) -> dict[str, list[str]]:
    """Every row of every table but the audit log: equal before and after means nothing changed."""
    snapshot: dict[str, list[str]] = {}
    async with db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in {"audit_event", "alembic_version"}:
                continue
            rows = (await session.execute(select(table))).all()
            snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
    return snapshot


async def audit_events(db: TestDatabase, user_id: int | None = None) -> list[models.AuditEvent]:
    async with db.sessionmaker() as session:
        statement = select(models.AuditEvent).order_by(models.AuditEvent.id)
        if user_id is not None:
            statement = statement.where(models.AuditEvent.user_id == user_id)
        return list(await session.scalars(statement))


async def audited(db: TestDatabase, user_id: int, entity: str) -> set[int]:
    return {
        int(entity_id)
        for event in await audit_events(db, user_id)
        if event.entity == entity
        for entity_id in event.entity_ids
    }


def ids_in(value: Any) -> set[str]:
    """Every ``id`` anywhere in a response."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                found.add(item)
            else:
                found |= ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= ids_in(item)
    return found


def db_ids(global_ids: set[str], type_name: str) -> set[int]:
    decoded = (from_global_id(global_id) for global_id in global_ids)
    return {db_id for found_type, db_id in decoded if found_type == type_name}


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def nodes(
    client: GraphQLClient, ids: list[str], as_: str, selection: str = "id"
) -> dict[str, Any]:
    """``node`` for many IDs, at most 20 aliases per request (the alias limit is 30)."""
    found: dict[str, Any] = {}
    for part in chunks(ids, 20):
        query = "query(" + ", ".join(f"$i{n}: ID!" for n in range(len(part))) + ") { "
        query += " ".join(f"n{n}: node(id: $i{n}) {{ {selection} }}" for n in range(len(part)))
        query += " }"
        data = await client.execute(query, {f"i{n}": i for n, i in enumerate(part)}, as_=as_)
        found.update({i: data[f"n{n}"] for n, i in enumerate(part)})
    return found


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jsonable(claims: dict[str, Any]) -> dict[str, Any]:
    return {
        key: int(value.timestamp()) if isinstance(value, datetime) else value
        for key, value in claims.items()
    }


def token(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    """A JWT signed by hand (HMAC), so keys a library would refuse can be tried too."""
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[algorithm]
    signing_input = (
        _b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
        + "."
        + _b64(json.dumps(_jsonable(claims)).encode())
    )
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_jsonable(claims)).encode())}."


def good_claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


VIEWER = "{ viewer { email } }"


# --------------------------------------------------------------------------------------------------
# 1. IDOR on every node type, for every user
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
    """Users, schools, assessments and district goals of the other district are null."""
    scoped = [i for i in sorted(rich.district_of) if from_global_id(i)[0] != "District"]
    found = await nodes(client, scoped, as_=viewer)
    for global_id, node in found.items():
        same = rich.district_of[global_id] == rich.district_of_user[viewer]
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
# 2. IDOR on every mutation that takes an ID; role escalation; nothing written
# --------------------------------------------------------------------------------------------------

# (attacker, victim): the attacker neither owns nor serves the victim's data.
STRANGERS = [
    (TEACHER_B, TEACHER_A),
    (TEACHER_C, TEACHER_A),
    (COACH, TEACHER_B),
    (COACH, TEACHER_C),
    (PRINCIPAL_SOUTH, TEACHER_A),
    (PRINCIPAL_NORTH, TEACHER_C),
    (OUTSIDER, TEACHER_A),
    (OUTSIDER, TEACHER_C),
    (IMPORTER, TEACHER_A),
    (OTHER_TEACHER, TEACHER_A),
    (ADMIN, OTHER_TEACHER),
    (TEACHER_A, OTHER_TEACHER),
]


@pytest.mark.parametrize(("attacker", "victim"), STRANGERS)
async def test_strangers_write_nothing_and_learn_nothing(
    client: GraphQLClient, db: TestDatabase, rich: Rich, attacker: str, victim: str
) -> None:
    """Every mutation aimed at a stranger's object fails exactly as it does for a missing object,
    and no row anywhere changes."""
    before = await fingerprint(db)
    for name, input in every_write(rich.owned[victim]):
        real = await mutate(client, name, input, as_=attacker)
        ghost = await mutate(client, name, ghost_of(input), as_=attacker)
        assert real["result"] is None, (name, input)
        assert [error["code"] for error in real["userErrors"]][:1] in (["NOT_FOUND"], ["FORBIDDEN"])
        assert real == ghost, f"{name}: the answer tells an existing object from a missing one"
    assert await fingerprint(db) == before


@pytest.mark.parametrize(
    ("supervisor", "teacher"),
    [(COACH, TEACHER_A), (PRINCIPAL_NORTH, TEACHER_B), (ADMIN, TEACHER_C)],
)
async def test_supervisors_read_but_never_write_a_teachers_own_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich, supervisor: str, teacher: str
) -> None:
    before = await fingerprint(db)
    for name, input in owner_writes(rich.owned[teacher]):
        payload = await mutate(client, name, input, as_=supervisor)
        assert payload["result"] is None, (name, input)
        assert payload["userErrors"][0]["code"] == "FORBIDDEN", (name, payload)
    assert await fingerprint(db) == before


async def test_teachers_cannot_supervise_themselves(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    for teacher in (TEACHER_A, TEACHER_B, TEACHER_C, OTHER_TEACHER):
        for name, input in supervisor_writes(rich.owned[teacher]):
            payload = await mutate(client, name, input, as_=teacher)
            assert payload["result"] is None, (teacher, name)
            assert payload["userErrors"][0]["code"] == "FORBIDDEN", (teacher, name, payload)
    for name, input in admin_writes(rich.owned[TEACHER_B]):
        payload = await mutate(client, name, input, as_=TEACHER_A)
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    for role in (COACH, PRINCIPAL_NORTH):  # only district admins record training for others
        payload = await mutate(client, *admin_writes(rich.owned[TEACHER_A])[0], as_=role)
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert await fingerprint(db) == before


async def test_the_same_inputs_succeed_for_the_rightful_actors(
    client: GraphQLClient, rich: Rich
) -> None:
    """Controls: the attacks above fail because of who sent them, not because they are malformed."""
    a = rich.owned[TEACHER_A]
    for name, input in owner_writes(a):
        payload = await mutate(client, name, input, as_=TEACHER_A)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in supervisor_writes(a):
        payload = await mutate(client, name, input, as_=COACH)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in reader_writes(rich.owned[TEACHER_B]):
        payload = await mutate(client, name, input, as_=PRINCIPAL_NORTH)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in admin_writes(rich.owned[TEACHER_C]):
        payload = await mutate(client, name, input, as_=ADMIN)
        assert payload["userErrors"] == [], (name, payload)


async def test_roles_without_a_teacher_profile_cannot_write_growth_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    own_writes = [
        ("createLearningPlan", {"cycle": "2026-27"}),
        ("addEvidence", {"kind": "REFLECTION", "title": "pwned"}),
        (
            "submitSelfAssessment",
            {"cycle": "2025-26", "ratings": [{"elementCode": "1.1", "level": "emerging"}]},
        ),
        ("recordTrainingRecord", {"title": "pwned", "completedOn": "2025-01-01", "hours": 1.0}),
        ("updateProfile", {"bio": "pwned"}),
        ("setFocusElements", {"elementCodes": ["1.2"]}),
    ]
    for role in (IMPORTER, COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER):
        for name, input in own_writes:
            payload = await mutate(client, name, input, as_=role)
            assert payload["result"] is None, (role, name)
            assert payload["userErrors"][0]["code"] in {"FORBIDDEN", "NOT_A_TEACHER"}, payload
    assert await fingerprint(db) == before


async def test_only_a_district_admin_changes_the_active_framework_and_only_their_own(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    query = (
        "mutation($key: String!) { activateFramework(key: $key) { district { id key } "
        f"{ERRORS} }} }}"
    )
    before = await fingerprint(db)
    for role in (TEACHER_A, COACH, PRINCIPAL_NORTH, IMPORTER, OTHER_TEACHER):
        data = await client.execute(query, {"key": "cstp-2009"}, as_=role)
        assert data["activateFramework"]["district"] is None
        assert data["activateFramework"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await fingerprint(db) == before
    data = await client.execute(query, {"key": "cstp-2009"}, as_=OUTSIDER)
    assert data["activateFramework"]["district"]["key"] == "other"


async def test_evidence_cannot_be_tied_to_someone_elses_goal(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """goalIds of another teacher, of the other district, or that do not exist: the same answer."""
    before = await fingerprint(db)
    mine = rich.owned[TEACHER_A]
    answers = []
    for goal in (
        rich.owned[TEACHER_B].ids["goal"],
        rich.owned[OTHER_TEACHER].ids["goal"],
        gid("Goal", GHOST),
    ):
        added = await mutate(
            client,
            "addEvidence",
            {"kind": "REFLECTION", "title": "x", "goalIds": [goal]},
            as_=TEACHER_A,
        )
        updated = await mutate(
            client,
            "updateEvidence",
            {"evidenceId": mine.ids["evidence"], "goalIds": [goal]},
            as_=TEACHER_A,
        )
        assert added["result"] is None and updated["result"] is None
        answers.append((added["userErrors"], updated["userErrors"]))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0][0]["code"] == "UNKNOWN_GOAL"
    assert await fingerprint(db) == before


async def test_goals_cannot_align_to_another_districts_initiative(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    mine = rich.owned[TEACHER_A]
    answers = []
    for district_goal in (rich.other_district_goal, gid("DistrictGoal", GHOST)):
        updated = await mutate(
            client,
            "updateGoal",
            {"goalId": mine.ids["goal"], "districtGoalId": district_goal},
            as_=TEACHER_A,
        )
        added = await mutate(
            client,
            "addGoal",
            {
                "planId": mine.ids["plan"],
                "title": "t",
                "elementCodes": ["1.1"],
                "districtGoalId": district_goal,
            },
            as_=TEACHER_A,
        )
        assert updated["result"] is None and added["result"] is None
        answers.append((updated["userErrors"], added["userErrors"]))
    assert answers[0] == answers[1]
    assert answers[0][0][0]["code"] == "NOT_FOUND"
    assert await fingerprint(db) == before
    ok = await mutate(
        client,
        "updateGoal",
        {"goalId": mine.ids["goal"], "districtGoalId": rich.district_goal},
        as_=TEACHER_A,
    )
    assert ok["userErrors"] == []


async def test_a_role_change_takes_effect_on_the_next_request(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """Tokens carry no role: demoting an admin cuts their reach with the very same token."""
    query = "{ district { teachers { totalCount } } }"
    token_ = client.token_for(ADMIN)
    before = (await client.post(query, None, token_)).json()
    assert before["data"]["district"]["teachers"]["totalCount"] == 3
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User)
            .where(models.User.id == rich.world.id(ADMIN))
            .values(role=models.Role.TEACHER.value)
        )
    after = (await client.post(query, None, token_)).json()
    assert after["data"]["district"]["teachers"]["totalCount"] == 0


async def test_the_importer_role_reads_no_growth_or_student_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    a = rich.owned[TEACHER_A]
    data = await client.execute(
        """query($t: ID!, $s: ID!) {
          viewer { role teacher { id } }
          district { teachers(first: 50) { totalCount nodes { id } } }
          teacher(id: $t) { id }
          section: node(id: $s) { id }
        }""",
        {"t": a.ids["teacher"], "s": a.ids["section"]},
        as_=IMPORTER,
    )
    assert data["viewer"] == {"role": "IMPORTER", "teacher": None}
    assert data["district"]["teachers"] == {"totalCount": 0, "nodes": []}
    assert data["teacher"] is None and data["section"] is None
    assert await audit_events(db, rich.world.id(IMPORTER)) == []


# --------------------------------------------------------------------------------------------------
# 3. Mistyped and malformed IDs
# --------------------------------------------------------------------------------------------------


async def test_an_id_of_the_wrong_type_is_refused_even_when_its_number_fits(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """An Observation ID whose number is the owner's own goal's is not taken for that goal."""
    a = rich.owned[TEACHER_A]
    before = await fingerprint(db)
    cases = [
        (TEACHER_A, "addGoal", {"planId": gid("Goal", a.db["plan"]), "title": "t", "elementCodes": ["1.1"]}),
        (TEACHER_A, "updateGoal", {"goalId": gid("Observation", a.db["goal"]), "title": "x"}),
        (TEACHER_A, "addActionStep", {"goalId": gid("LearningPlan", a.db["goal"]), "description": "x"}),
        (TEACHER_A, "updateActionStep", {"actionStepId": gid("Goal", a.db["step"]), "description": "x"}),
        (TEACHER_A, "updateEvidence", {"evidenceId": gid("Comment", a.db["evidence"]), "title": "x"}),
        (TEACHER_A, "addComment", {"evidenceId": gid("Goal", a.db["evidence"]), "body": "x"}),
        (TEACHER_A, "addComment", {"goalId": gid("Evidence", a.db["goal"]), "body": "x"}),
        (TEACHER_A, "addComment", {"observationId": gid("Goal", a.db["observation"]), "body": "x"}),
        (TEACHER_A, "submitPlan", {"planId": gid("Goal", a.db["plan"])}),
        (TEACHER_A, "addEvidence", {"kind": "REFLECTION", "title": "x", "goalIds": [gid("Observation", a.db["goal"])]}),
        (TEACHER_A, "updateGoal", {"goalId": a.ids["goal"], "districtGoalId": gid("Goal", 1)}),
        (COACH, "approvePlan", {"planId": gid("Goal", a.db["submitted_plan"])}),
        (COACH, "recordObservation", {"teacherId": gid("User", a.db["teacher"]), "kind": "INFORMAL", "observedOn": "2025-10-01", "notes": "x"}),
        (ADMIN, "recordTrainingRecord", {"teacherId": gid("Student", a.db["teacher"]), "title": "x", "completedOn": "2025-01-01", "hours": 1.0}),
    ]  # fmt: skip
    for actor, name, input in cases:
        payload = await mutate(client, name, input, as_=actor)
        assert payload["result"] is None, (name, input)
        assert payload["userErrors"][0]["code"] == "BAD_ID", (name, payload)
    assert await fingerprint(db) == before


async def test_wrong_typed_ids_in_queries_find_nothing(client: GraphQLClient, rich: Rich) -> None:
    a = rich.owned[TEACHER_A]
    data = await client.execute(
        "query($u: ID!) { teacher(id: $u) { id } }",
        {"u": gid("User", a.db["teacher"])},
        as_=ADMIN,
    )
    assert data["teacher"] is None
    body = await client.raw(
        "query($w: TeacherFilterInput) { district { teachers(where: $w) { totalCount } } }",
        {"w": {"schoolId": gid("Section", rich.world.school_ids["N"])}},
        as_=ADMIN,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_ID"
    body = await client.raw(
        "query($t: ID!, $w: StudentFilterInput) { teacher(id: $t) { students(where: $w) "
        "{ totalCount } } }",
        {"t": a.ids["teacher"], "w": {"sectionId": gid("Teacher", a.db["section"])}},
        as_=TEACHER_A,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_ID"


MALFORMED_IDS = [
    "",
    "not base64 at all!",
    raw_id("Goal"),
    raw_id("Goal:"),
    raw_id("Goal:abc"),
    raw_id(":1"),
    raw_id("Goal:1:2"),
    raw_id("Goal:-1"),
    raw_id("Goal:1.5"),
    raw_id("__typename:1"),
    raw_id("Node:1"),
    raw_id("District:1"),
    raw_id("PlanEvent:1"),
    raw_id("AuditEvent:1"),
]


async def test_malformed_ids_are_null_for_node_and_a_clear_error_for_mutations(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    found = await nodes(client, MALFORMED_IDS, as_=ADMIN)
    assert all(node is None for node in found.values()), found
    before = await fingerprint(db)
    for bad in MALFORMED_IDS:
        payload = await mutate(client, "updateGoal", {"goalId": bad, "title": "x"}, as_=TEACHER_A)
        assert payload["result"] is None
        assert payload["userErrors"][0]["code"] in {"BAD_ID", "NOT_FOUND"}, (bad, payload)
    assert await fingerprint(db) == before


OUT_OF_RANGE_REASON = (
    "SECURITY: a global ID whose number overflows the id column (Goal:2147483648 on PostgreSQL, "
    "Goal:9223372036854775808 on SQLite) reaches the driver: node() and every mutation answer "
    "INTERNAL with the full SQL text, the scoping subquery and its bound parameters (the "
    "viewer's district and user id) unless MYPD_ENVIRONMENT=production, and the failed "
    "DataLoader batch nulls every other object loaded with it (schema/relay.py from_global_id "
    "and decode_id accept any int)"
)


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999"])
async def test_out_of_range_ids_are_not_found_not_internal_errors(
    client: GraphQLClient, db: TestDatabase, rich: Rich, number: str, request: pytest.FixtureRequest
) -> None:
    """An ID whose number overflows the database's integer is bad input, not a crash that shows
    driver internals (and fails every other object batched with it)."""
    body = await client.raw(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }",
        {"a": raw_id(f"Goal:{number}"), "b": rich.owned[TEACHER_A].ids["goal"]},
        as_=TEACHER_A,
    )
    assert "errors" not in body, body["errors"][0]["message"]
    assert body["data"] == {"a": None, "b": {"id": rich.owned[TEACHER_A].ids["goal"]}}
    payload = await mutate(
        client, "updateGoal", {"goalId": raw_id(f"Goal:{number}"), "title": "x"}, as_=TEACHER_A
    )
    assert payload["userErrors"][0]["code"] in {"BAD_ID", "NOT_FOUND"}


# --------------------------------------------------------------------------------------------------
# 4. Nested traversal: from what one may see to what one may not
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
            assert rich.owned[teacher].ids["evidence_comment"] in reached
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
    for viewer, mine in ((TEACHER_A, a), (COACH, a), (TEACHER_B, b)):
        data = await client.execute(
            query, {"g": mine.ids["goal"], "e": mine.ids["evidence"]}, as_=viewer
        )
        assert [item["id"] for item in data["g"]["evidence"]] == [mine.ids["evidence"]]
        assert [item["id"] for item in data["e"]["goals"]] == [mine.ids["goal"]]


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
# 5. Student data through aggregates, counts and filters
# --------------------------------------------------------------------------------------------------

STUDENT_PAGE = """query($t: ID!, $w: StudentFilterInput, $first: Int!) {
  teacher(id: $t) { students(where: $w, first: $first) {
    totalCount pageInfo { hasNextPage } nodes { id } } } }"""


@pytest.mark.parametrize(
    ("viewer", "teacher", "section"),
    [
        (TEACHER_A, TEACHER_A, "B-MATH"),
        (TEACHER_A, TEACHER_A, "C-ELA"),
        (TEACHER_A, TEACHER_A, "X-ELA"),
        (COACH, TEACHER_A, "B-MATH"),
        (PRINCIPAL_NORTH, TEACHER_A, "C-ELA"),
        (OUTSIDER, OTHER_TEACHER, "A-MATH"),
    ],
)
async def test_filtering_by_someone_elses_section_finds_and_counts_nothing(
    client: GraphQLClient, rich: Rich, viewer: str, teacher: str, section: str
) -> None:
    data = await client.execute(
        STUDENT_PAGE,
        {
            "t": rich.owned[teacher].ids["teacher"],
            "w": {"sectionId": gid("Section", rich.world.section_ids[section])},
            "first": 10,
        },
        as_=viewer,
    )
    page = data["teacher"]["students"]
    assert page == {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []}


@pytest.mark.parametrize(
    ("viewer", "teachers", "students"),
    [
        (TEACHER_A, 1, 3),
        (TEACHER_C, 1, 2),
        (COACH, 1, 3),
        (PRINCIPAL_NORTH, 2, 5),
        (PRINCIPAL_SOUTH, 1, 2),
        (ADMIN, 3, 7),
        (OUTSIDER, 1, 1),
        (OTHER_TEACHER, 1, 1),
        (IMPORTER, 0, 0),
    ],
)
async def test_counts_match_the_viewers_scope(
    client: GraphQLClient, rich: Rich, viewer: str, teachers: int, students: int
) -> None:
    """totalCount, filters with wildcards and filters on other schools never count outside scope."""
    query = """query($north: ID!) {
      district { teachers(first: 10) { totalCount nodes { students(first: 0) { totalCount } } }
        wild: teachers(where: {nameContains: "%"}) { totalCount }
        under: teachers(where: {nameContains: "_"}) { totalCount }
        north: teachers(where: {schoolId: $north}) { totalCount }
        submitted: teachers(where: {planStatus: SUBMITTED}) { totalCount }
        focused: teachers(where: {focusElementCode: "1.1"}) { totalCount } } }"""
    data = await client.execute(
        query, {"north": gid("School", rich.world.school_ids["N"])}, as_=viewer
    )
    district = data["district"]
    assert district["teachers"]["totalCount"] == teachers
    counted = sum(node["students"]["totalCount"] for node in district["teachers"]["nodes"])
    assert counted == students
    for name in ("wild", "under", "submitted", "focused"):
        assert district[name]["totalCount"] == teachers, name
    assert district["north"]["totalCount"] <= teachers
    if rich.district_of_user[viewer] != rich.world.district_id:
        assert district["north"]["totalCount"] == 0


async def test_student_name_filters_do_not_escape_scope(client: GraphQLClient, rich: Rich) -> None:
    a = rich.owned[TEACHER_A].ids["teacher"]
    for pattern, expected in (("%", 0), ("_", 0), ("First", 3), ("Firsts4", 0), ("Away", 0)):
        data = await client.execute(
            STUDENT_PAGE, {"t": a, "w": {"nameContains": pattern}, "first": 10}, as_=TEACHER_A
        )
        assert data["teacher"]["students"]["totalCount"] == expected, pattern


async def test_counting_students_by_name_is_audited(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """A teacher can test guesses about a student's name one count at a time, reading no row."""
    a = rich.owned[TEACHER_A].ids["teacher"]
    data = await client.execute(
        STUDENT_PAGE, {"t": a, "w": {"nameContains": "Lasts2"}, "first": 0}, as_=TEACHER_A
    )
    assert data["teacher"]["students"]["totalCount"] == 1  # "a student named ...s2 is in my class"
    assert data["teacher"]["students"]["nodes"] == []
    assert await audit_events(db, rich.world.id(TEACHER_A)) != []


# --------------------------------------------------------------------------------------------------
# 6. Audit completeness
# --------------------------------------------------------------------------------------------------

STUDENT_PATHS = """query($t: ID!, $sec: ID!) {
  viewer { teacher { students(first: 50) { nodes { id results { id } } }
    sections { students(first: 50) { nodes { id results(subject: "Math") { id } } } } } }
  district { teachers(first: 10) { nodes {
    students(first: 50) { nodes { id } }
    sections { students(first: 50) { nodes { id results(schoolYear: "2025-26") { id } } } } } } }
  teacher(id: $t) { students(first: 2) { nodes { id results { id } } } }
  section: node(id: $sec) { ... on Section { students(first: 1) { nodes { id } } } }
}"""


@pytest.mark.parametrize("viewer", EVERYONE)
async def test_every_path_to_student_data_is_audited_exactly(
    client: GraphQLClient, db: TestDatabase, rich: Rich, viewer: str
) -> None:
    """Whatever path a viewer takes to students and results, the audit log names exactly the
    students and results they received, under their own user id."""
    received: set[str] = set()
    for teacher in TEACHERS:
        mine = rich.owned[teacher]
        data = await client.execute(
            STUDENT_PATHS, {"t": mine.ids["teacher"], "sec": mine.ids["section"]}, as_=viewer
        )
        received |= ids_in(data)
    found = await nodes(
        client,
        list(rich.student_ids.values()) + list(rich.result_ids.values()),
        as_=viewer,
        selection="id ... on Student { results { id } }",
    )
    received |= ids_in(list(found.values()))
    user_id = rich.world.id(viewer)
    assert await audited(db, user_id, "student") == db_ids(received, "Student")
    assert await audited(db, user_id, "assessment_result") == db_ids(received, "AssessmentResult")
    expected = {
        rich.student_ids[local]
        for teacher, roster in ROSTERS.items()
        if viewer in READERS[teacher]
        for local in roster
    }
    assert {i for i in received if from_global_id(i)[0] == "Student"} == expected
    other_users = {event.user_id for event in await audit_events(db)} - {user_id}
    assert other_users == set(), "reads are recorded under the reader, nobody else"


async def test_a_read_that_fails_elsewhere_in_the_query_is_still_audited(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    body = await client.raw(
        """query($s: ID!, $sec: ID!) { student: node(id: $s) { id ... on Student { firstName } }
           section: node(id: $sec) { ... on Section { students(after: "nonsense") { totalCount } } } }""",
        {"s": rich.student_ids["s1"], "sec": rich.owned[TEACHER_A].ids["section"]},
        as_=TEACHER_A,
    )
    assert body["data"]["student"]["firstName"] == "Firsts1" and body["errors"]
    assert await audited(db, rich.world.id(TEACHER_A), "student") == {rich.world.student_ids["s1"]}


# --------------------------------------------------------------------------------------------------
# 7. Tokens
# --------------------------------------------------------------------------------------------------


def forged_tokens(user_id: int) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "alg none": unsigned_token(good_claims(user_id), {"alg": "none", "typ": "JWT"}),
        "alg None": unsigned_token(good_claims(user_id), {"alg": "None", "typ": "JWT"}),
        "wrong issuer": token(good_claims(user_id, iss="someone-else")),
        "no issuer": token(good_claims(user_id, iss=None)),
        "no exp": token(good_claims(user_id, exp=None)),
        "no sub": token(good_claims(user_id, sub=None)),
        "sub not a number": token(good_claims(user_id, sub="admin@test.mypd")),
        "sub of nobody": token(good_claims(user_id, sub=str(GHOST))),
        "expired": token(good_claims(user_id, exp=now - timedelta(seconds=5))),
        "not yet valid": token(good_claims(user_id, nbf=now + timedelta(hours=1))),
        "issued in the future": token(good_claims(user_id, iat=now + timedelta(hours=1))),
        "HS512": token(good_claims(user_id), algorithm="HS512"),
        "development secret": token(
            good_claims(user_id), key="mypd-graph-development-secret-do-not-use-in-production"
        ),
        "empty secret": token(good_claims(user_id), key=""),
        "signature stripped": token(good_claims(user_id)).rsplit(".", 1)[0] + ".",
        "payload swapped": ".".join(
            [
                token(good_claims(user_id)).split(".")[0],
                token(good_claims(GHOST)).split(".")[1],
                token(good_claims(user_id)).split(".")[2],
            ]
        ),
    }


async def test_forged_and_broken_tokens_are_refused(client: GraphQLClient, rich: Rich) -> None:
    for name, forged in forged_tokens(rich.world.id(ADMIN)).items():
        response = await client.post(VIEWER, None, token=forged)
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
        assert "data" not in response.json(), name


async def test_authorization_header_variants(client: GraphQLClient, rich: Rich) -> None:
    good = client.token_for(TEACHER_A)
    for header in (f"Basic {good}", f"Token {good}", "Bearer", "Bearer ", good, f"Bearer{good}"):
        response = await client.http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
    response = await client.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"bearer  {good} "}
    )
    assert response.json()["data"]["viewer"]["email"] == TEACHER_A


async def test_tokens_of_deactivated_and_deleted_users_are_refused(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    tokens = {email: client.token_for(email) for email in (PRINCIPAL_NORTH, COACH)}
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User)
            .where(models.User.id == rich.world.id(PRINCIPAL_NORTH))
            .values(active=False)
        )
        coach = await session.get_one(models.User, rich.world.id(COACH))
        await session.delete(coach)
    for email, old in tokens.items():
        response = await client.post(VIEWER, None, token=old)
        assert response.status_code == 401, email


# --------------------------------------------------------------------------------------------------
# 8. GraphQL abuse and the door of /graphql
# --------------------------------------------------------------------------------------------------


async def test_batched_requests_are_refused_and_run_nothing(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    batch = [
        {"query": "query($s: ID!) { node(id: $s) { id } }", "variables": {"s": student}}
        for student in rich.student_ids.values()
    ]
    response = await client.http.post(
        "/graphql",
        json=batch,
        headers={"Authorization": f"Bearer {client.token_for(ADMIN)}"},
    )
    assert response.status_code == 400
    assert await audit_events(db) == []


async def test_a_large_body_without_content_length_is_refused(client: GraphQLClient) -> None:
    """Content-Length can be left out (chunked): the guard counts what actually arrives."""

    async def chunked():
        yield b'{"query": "'
        for _ in range(120):
            yield b" " * 10_000
        yield b'{ viewer { email } }"}'

    response = await client.http.post(
        "/graphql",
        content=chunked(),
        headers={
            "Authorization": f"Bearer {client.token_for(ADMIN)}",
            "content-type": "application/json",
        },
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_depth_limit_holds_through_fragments(client: GraphQLClient) -> None:
    query = """{ viewer { ...U } }
      fragment U on User { teacher { user { teacher { user { teacher { user { ...V } } } } } } }
      fragment V on User { teacher { user { teacher { user { teacher { user { email } } } } } } }"""
    body = await client.raw(query, as_=ADMIN)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_fragment_cycles_are_refused_without_hanging(client: GraphQLClient) -> None:
    query = """{ viewer { ...A } }
      fragment A on User { teacher { user { ...B } } }
      fragment B on User { teacher { user { ...A } } }"""
    body = await client.raw(query, as_=ADMIN)
    assert body["errors"] and body.get("data") is None


async def test_alias_limit_holds_through_fragments(client: GraphQLClient) -> None:
    fragment_aliases = " ".join(f"f{i}: email" for i in range(20))
    query = (
        "{ " + " ".join(f"a{i}: viewer {{ ...U }}" for i in range(12)) + " }"
        f" fragment U on User {{ {fragment_aliases} }}"
    )
    body = await client.raw(query, as_=ADMIN)
    assert "aliases" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


async def test_token_limit_holds(client: GraphQLClient) -> None:
    query = "{ viewer { " + " ".join(["email"] * 6000) + " } }"
    body = await client.raw(query, as_=ADMIN)
    assert "token" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


@pytest.mark.parametrize(
    "query",
    [
        # the page size from a variable counts as the maximum
        "query($n: Int!) { district { teachers(first: $n) { nodes { students(first: $n) { "
        "nodes { firstName results { scaleScore } } } sections { students(first: $n) { nodes { "
        "id } } } } } } }",
        # inline fragments on node count like any selection
        'query($n: Int!) { node(id: "x") { ... on Teacher { students(first: $n) { nodes { '
        "id } } sections { students(first: 100) { nodes { results { id term scaleScore "
        "percentile } } } } } } district { teachers(first: 100) { nodes { students(first: $n) { "
        "nodes { id firstName } } } } } }",
        # the same costly fragment spread many times
        "{ district { ...D ...D } } fragment D on District { a: teachers(first: 100) { nodes { "
        "students(first: 70) { nodes { firstName } } } } }",
    ],
)
async def test_query_cost_limit_holds(client: GraphQLClient, db: TestDatabase, query: str) -> None:
    with db.count_statements() as counter:
        body = await client.raw(query, {"n": 100}, as_=ADMIN)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", body
    assert counter.count == 1, "only the token's user is read; the query never runs"


async def test_introspection_needs_a_token(client: GraphQLClient) -> None:
    query = "{ __schema { queryType { name } types { name } } }"
    response = await client.post(query, None, token=None)
    assert response.status_code == 401
    signed_in = await client.execute(query, as_=TEACHER_A)
    assert signed_in["__schema"]["queryType"]["name"] == "Query"


async def test_get_with_a_query_needs_a_token(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql", params={"query": "{ __schema { queryType { name } } }"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("encoded", ["%71uery", "quer%79", "%71%75%65%72%79"])
async def test_an_encoded_query_parameter_does_not_skip_authentication(
    client: GraphQLClient, rich: Rich, encoded: str
) -> None:
    framework = gid("Framework", rich.world.framework_id)
    query = (
        '{ __schema { types { name } } node(id: "' + framework + '") '
        "{ ... on Framework { key standards { code elements { code text } } } } }"
    )
    response = await client.http.get(
        f"/graphql?{encoded}={query}", headers={"accept": "application/json"}
    )
    assert response.status_code == 401, response.text[:300]


async def test_mutations_are_not_accepted_over_get(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    mutation = 'mutation { updateProfile(input: {bio: "via GET"}) { teacher { bio } } }'
    response = await client.http.get(
        "/graphql",
        params={"query": mutation},
        headers={"Authorization": f"Bearer {client.token_for(TEACHER_A)}"},
    )
    assert response.status_code in {400, 405}
    assert await fingerprint(db) == before


async def test_websocket_connections_are_not_served(
    client: GraphQLClient, db: TestDatabase, settings: Any, plugins: Any
) -> None:
    """graphql-ws can run queries and mutations; the guard only inspects HTTP, so the socket must
    not reach GraphQL at all."""
    app = create_app(settings, plugins=plugins, engine=db.engine)
    sent: list[dict[str, Any]] = []
    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": json.dumps({"type": "connection_init"})},
        {"type": "websocket.disconnect", "code": 1000},
    ]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"sec-websocket-protocol", b"graphql-transport-ws")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent and sent[0]["type"] == "websocket.close", sent
    assert not any(message["type"] == "websocket.accept" for message in sent)


async def test_unsupported_bodies_are_refused_after_authentication(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", content=b"query={viewer{email}}", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 401
    response = await client.http.post(
        "/graphql",
        content=b"{ viewer { email } }",
        headers={
            "content-type": "application/graphql",
            "Authorization": f"Bearer {client.token_for(TEACHER_A)}",
        },
    )
    assert response.status_code in {400, 415}


async def test_internal_errors_are_masked_in_production(
    client: GraphQLClient, db: TestDatabase, settings: Any, plugins: Any, rich: Rich
) -> None:
    """Whatever fails inside a resolver, a production error names no SQL, table or driver."""
    production = create_app(
        settings.__class__(**{**settings.__dict__, "environment": "production"}),
        plugins=plugins,
        engine=db.engine,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production), base_url="http://test"
    ) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($a: ID!) { node(id: $a) { id } }",
                "variables": {"a": raw_id("Goal:99999999999999999999")},
            },
            headers={"Authorization": f"Bearer {client.token_for(TEACHER_A)}"},
        )
    body = response.json()
    for error in body.get("errors", []):
        text = error["message"].lower()
        assert not any(word in text for word in ("select", "sql", "asyncpg", "sqlite", "goal.")), (
            text
        )


# --------------------------------------------------------------------------------------------------
# 9. Supervisors who also teach
# --------------------------------------------------------------------------------------------------


async def give_teacher_profile(db: TestDatabase, world: World, email: str, school: str) -> None:
    async with db.sessionmaker.begin() as session:
        session.add(
            models.TeacherProfile(
                user_id=world.id(email),
                school_id=world.school_ids[school],
                subjects=["Math"],
                grade_levels=["4"],
                years_experience=10,
            )
        )


async def submitted_plan_of(client: GraphQLClient, email: str) -> str:
    plan = await mutate(client, "createLearningPlan", {"cycle": "2026-27"}, as_=email)
    plan_id = plan["result"]["id"]
    goal = await mutate(
        client, "addGoal", {"planId": plan_id, "title": "mine", "elementCodes": ["1.1"]}, as_=email
    )
    assert goal["userErrors"] == []
    submitted = await mutate(client, "submitPlan", {"planId": plan_id}, as_=email)
    assert submitted["result"]["status"] == "SUBMITTED"
    return plan_id


async def test_a_principal_who_teaches_cannot_approve_their_own_plan(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    plan_id = await submitted_plan_of(client, PRINCIPAL_NORTH)
    approved = await mutate(client, "approvePlan", {"planId": plan_id}, as_=PRINCIPAL_NORTH)
    assert approved["result"] is None
    assert approved["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_principal_who_teaches_cannot_observe_themself(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    observed = await mutate(
        client,
        "recordObservation",
        {
            "teacherId": gid("Teacher", rich.world.id(PRINCIPAL_NORTH)),
            "kind": "FORMAL",
            "observedOn": "2025-10-01",
            "ratings": [{"elementCode": "1.1", "level": "innovating"}],
        },
        as_=PRINCIPAL_NORTH,
    )
    assert observed["result"] is None
    assert observed["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_principal_who_teaches_still_only_serves_their_school(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    for name, input in supervisor_writes(rich.owned[TEACHER_C]):
        payload = await mutate(client, name, input, as_=PRINCIPAL_NORTH)
        assert payload["userErrors"][0]["code"] in DENIED


# --------------------------------------------------------------------------------------------------
# 10. Features added in parallel (imports, personalization): covered when present
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
