"""Needs read through GraphQL and in batches: scoped like their teacher, audited, consistent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.services.access import visible_teacher_ids
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.figures import STUDENT_AGGREGATE
from mypd_graph.services.students.status import refresh_teacher_status
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.needs_helpers import (
    actor,
    gid,
    needs_of,
    observe,
    reading,
    self_rate,
    set_levels,
    set_settings,
    train,
)
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


# --- GraphQL: scope and audit ---------------------------------------------------------------------

NEEDS = """
query($id: ID!) {
  teacher(id: $id) {
    needs(first: 3, includeUnscored: false) {
      rank score isFocus summary element { code }
      selfRating { cycle level { key } }
      observedRating { observedOn kind level { key } observer { name } }
      signals { kind present value weight effectiveWeight contribution evidence missingReason }
    }
  }
}
"""


async def test_needs_through_graphql(client: GraphQLClient, world: World, db: TestDatabase) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring", "5.2": "applying"})
    await observe(db, world, TEACHER_A, {"1.6": "emerging"})
    async with db.sessionmaker.begin() as session:
        session.add(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids["5.2"])
        )
    data = await client.execute(NEEDS, {"id": gid(world, TEACHER_A)}, as_=TEACHER_A)
    first, second = data["teacher"]["needs"]
    assert first["element"] == {"code": "1.6"} and first["rank"] == 1
    assert first["selfRating"] == {"cycle": "2025-26", "level": {"key": "exploring"}}
    assert first["observedRating"] == {
        "observedOn": "2025-10-02",
        "kind": "coaching",
        "level": {"key": "emerging"},
        "observer": {"name": "Cora Coach"},
    }
    kinds = [signal["kind"] for signal in first["signals"]]
    assert kinds == [
        "STUDENT_PERFORMANCE",
        "TRAINING",
        "SELF_ASSESSMENT",
        "OBSERVATION",
        "STUDENT_GROWTH",
    ]
    student = first["signals"][0]
    assert student["present"] is False and student["value"] is None
    assert student["contribution"] is None and student["missingReason"]
    assert second["element"] == {"code": "5.2"} and second["isFocus"] is True
    assert second["observedRating"] is None


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        (TEACHER_A, {TEACHER_A}),
        (TEACHER_B, {TEACHER_B}),
        (COACH, {TEACHER_A}),
        (PRINCIPAL_NORTH, {TEACHER_A, TEACHER_B}),
        (PRINCIPAL_SOUTH, {TEACHER_C}),
        (ADMIN, {TEACHER_A, TEACHER_B, TEACHER_C}),
        (OUTSIDER, set()),
    ],
)
async def test_needs_are_scoped_like_their_teacher(
    client: GraphQLClient, world: World, db: TestDatabase, viewer: str, visible: set[str]
) -> None:
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        await self_rate(db, world, email, {"1.6": "exploring"})
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        data = await client.execute(NEEDS, {"id": gid(world, email)}, as_=viewer)
        if email in visible:
            assert data["teacher"]["needs"][0]["element"] == {"code": "1.6"}
        else:
            assert data["teacher"] is None
    # the service refuses the same way when called directly
    needs = await needs_of(db, world, TEACHER_C, viewer=viewer)
    assert bool(needs) == (TEACHER_C in visible)


async def test_aggregated_student_reads_write_one_audit_event(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    query = "{ district { teachers { nodes { needs(first: 1) { score } } } } }"
    async with db.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(models.AuditEvent))
    await client.execute(query, as_=ADMIN)
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent).order_by(models.AuditEvent.id).offset(before)
            )
        )
    # (the admin's read of the teachers' profiles is its own event: tests/test_audit_reads.py)
    events = [e for e in events if e.entity != "teacher_profile"]
    assert [(e.entity, e.action, e.user_id) for e in events] == [
        (STUDENT_AGGREGATE, "read", world.id(ADMIN))
    ]
    # the teachers whose students were aggregated (C's students have no ELA results)
    assert sorted(events[0].entity_ids) == sorted(
        str(world.id(email)) for email in (TEACHER_A, TEACHER_B)
    )


async def test_needs_of_a_teacher_without_any_data(client: GraphQLClient, world: World) -> None:
    data = await client.execute(
        "query($id: ID!) { teacher(id: $id) { needs(first: 100, includeUnscored: true) "
        "{ score rank signals { present } } } }",
        {"id": gid(world, TEACHER_C)},
        as_=ADMIN,
    )
    needs = data["teacher"]["needs"]
    assert len(needs) == 38 and all(n["score"] is None and n["rank"] is None for n in needs)
    assert all(not s["present"] for n in needs for s in n["signals"])
    bad = await client.raw(
        "query($id: ID!) { teacher(id: $id) { needs(first: 101) { score } } }",
        {"id": gid(world, TEACHER_C)},
        as_=ADMIN,
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_PAGE"


async def test_district_batch_reads_match_per_teacher_reads(db: TestDatabase, world: World) -> None:
    """A batch of the whole district and one teacher at a time give the same figures."""
    await set_settings(db, world, minimum_group_size=2)
    await set_levels(db, world, ["s4"], 4)
    async with db.sessionmaker.begin() as session:
        section = await session.get_one(models.Section, world.section_ids["C-ELA"])
        section.subject = "Multiple Subjects"
        await session.flush()
        await refresh_teacher_status(session, world.district_id)  # a roster writer's duty
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        await self_rate(db, world, email, {"1.6": "applying"})

    per_teacher = {}
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        student = reading((await needs_of(db, world, email))["1.6"], Signal.STUDENT_PERFORMANCE)
        per_teacher[email] = (student.value, student.evidence, student.missing_reason)
    async with db.sessionmaker.begin() as session:
        who = await actor(db, world, ADMIN)
        found = await needs_service.assess(session, who, visible_teacher_ids(who))
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        need = next(n for n in found[world.id(email)] if n.element.code == "1.6")
        student = reading(need, Signal.STUDENT_PERFORMANCE)
        assert (student.value, student.evidence, student.missing_reason) == per_teacher[email]
    assert per_teacher[TEACHER_B][1] == (
        "50% below standard in Math, 2025-26: 1 of the teacher's 2 students "
        "with results (district: 86% of 7)"
        "; 2025-26 is the most recent complete year (fewer than 10 of the teacher's students have results in 2026-27 so far); results of MAP Growth Math",
    )


async def test_top_needs_and_scores_agree_with_the_full_ranking(
    db: TestDatabase, world: World
) -> None:
    """``RankedNeeds.top``, ``top_scores`` and ``scores`` skip building the full order; they must
    agree with it, ties included (elements sharing a score order focus first, then framework
    order)."""
    await set_settings(db, world, minimum_group_size=2)
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging", "2.1": "applying", "5.1": "emerging"})
    async with db.sessionmaker.begin() as session:
        session.add_all(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids[code])
            for code in ("4.2", "1.1")
        )
    await train(db, world, TEACHER_A, 6, ("1.6",))

    async def assessed() -> dict[int, needs_service.RankedNeeds]:
        async with db.sessionmaker.begin() as session:
            who = await actor(db, world, ADMIN)
            return await needs_service.assess(session, who, visible_teacher_ids(who))

    def facts(needs: Any) -> list[tuple[Any, ...]]:
        return [(n.element.code, n.score, n.rank, n.is_focus) for n in needs]

    full = {teacher: facts(needs) for teacher, needs in (await assessed()).items()}
    fresh = await assessed()
    assert full.keys() == fresh.keys() and len(full) >= 3
    for teacher, needs in fresh.items():
        assert len(needs) == len(full[teacher]) == 38
        for count in (1, 3, 5, 38):
            assert facts(needs.top(count)) == full[teacher][:count]
            # what district views add up: the same needs, read without building them
            assert [(e.code, score) for e, score, _ in needs.top_scores(count)] == [
                (code, score) for code, score, _, _ in full[teacher][:count]
            ]
        assert [values for *_, values in needs.top_scores(5)] == [n.values for n in needs[:5]]
        assert sorted((e.code, score) for e, score in needs.scores()) == sorted(
            (code, score) for code, score, _, _ in full[teacher] if score is not None
        )
        assert facts([needs[-1]]) == full[teacher][-1:]
        assert needs.top(2) == [needs[0], needs[1]] and needs.top(1)[0] is needs[0]
        assert facts(needs[2:4]) == full[teacher][2:4]
        for outside in (38, -39):
            with pytest.raises(IndexError):
                needs[outside]
        with pytest.raises(ValueError, match="negative"):
            needs.top(-1)
    mine = full[world.id(TEACHER_A)]
    ranks = [rank for _, score, rank, _ in mine if score is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    tied = [(code, focus) for code, score, _, focus in mine if score == mine[-1][1]]
    assert tied == sorted(tied, key=lambda item: not item[1]), "focus first among equals"
