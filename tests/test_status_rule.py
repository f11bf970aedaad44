"""The stated status rule (issue 14, item 2): a student's status in a subject and year comes from
their summative result when there is one, else from their latest interim results.

The world's A-MATH students have a MAP Math result in the fall of 2025-26 (level 2: below). Each
test gives one student a proficient summative result and failing interims, another the reverse,
and checks the student summary, the teacher summary and the needs' share, both when the results
are written and refreshed and when they come through the import pipeline (whose first loads merge
their counts into the summary instead of recomputing it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.students.status import (
    STATUS_RULE,
    refresh_result_status,
    stale_result_status,
)
from tests.factories import ADMIN, TEACHER_A, World
from tests.import_helpers import stored, teacher_rows
from tests.needs_helpers import actor, set_settings

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

YEAR = "2025-26"
COLUMNS = {
    "student_id": "Student Number",
    "achievement_level": "Level",
    "subject": "Subject",
    "date": "Test Date",
    "assessment_name": "Assessment",
}


async def _add(db: TestDatabase, world: World, summative: bool, rows: list[tuple]) -> None:
    """An assessment (summative or not) and ``(student, term, level)`` results of it."""
    async with db.sessionmaker.begin() as session:
        test = models.Assessment(
            district_id=world.district_id,
            key="state-math" if summative else "benchmark-math",
            name="State Math" if summative else "Benchmark Math",
            subject="Math",
            summative=summative,
        )
        session.add(test)
        await session.flush()
        for local_id, term, level in rows:
            session.add(
                models.AssessmentResult(
                    assessment_id=test.id,
                    student_id=world.student_ids[local_id],
                    school_year=YEAR,
                    term=term,
                    achievement_level=level,
                )
            )
        await session.flush()
        await refresh_result_status(session, world.district_id)


async def _share_below(db: TestDatabase, world: World) -> tuple[str, ...]:
    who = await actor(db, world, ADMIN)
    async with db.sessionmaker.begin() as session:  # the admin reads A's needs (docs/privacy.md)
        await session.execute(
            update(models.TeacherProfile)
            .where(models.TeacherProfile.user_id == world.id(TEACHER_A))
            .values(growth_audience="supervisors")
        )
    async with db.sessionmaker() as session:
        found = await needs_service.assess(
            session, who, needs_service.teachers_by_ids(who, [world.id(TEACHER_A)])
        )
    need = next(n for n in found[world.id(TEACHER_A)] if n.element.code == "1.6")
    return need.signals[0].evidence


async def test_the_summative_result_decides_when_there_is_one(
    db: TestDatabase, world: World
) -> None:
    """s1: proficient on the state test, failing every interim; s2: the reverse; s3: no state
    test, so its latest interim (spring, level 4) decides over the fall and winter ones."""
    await _add(db, world, True, [("s1", "Spring", 4), ("s2", "Spring", 2)])
    await _add(
        db,
        world,
        False,
        [
            *((("s1", term, 1)) for term in ("Winter", "Spring", "Summer")),
            *((("s2", term, 4)) for term in ("Winter", "Spring", "Summer")),
            ("s3", "Winter", 1),
            ("s3", "Spring", 4),
        ],
    )
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await stored(session, world.student_ids["s1"]) == {("Math", YEAR): (1, 0)}
        assert await stored(session, world.student_ids["s2"]) == {("Math", YEAR): (1, 1)}
        assert await stored(session, world.student_ids["s3"]) == {("Math", YEAR): (1, 0)}
        teacher = await teacher_rows(session, world.id(TEACHER_A), world.district_id)
    assert teacher[("Math", YEAR)] == (3, 1)  # only s2 is below standard
    await set_settings(db, world, minimum_group_size=2)
    evidence = await _share_below(db, world)
    assert evidence[0].startswith("33% below standard in Math, 2025-26: 1 of the teacher's 3")
    assert "summative" in STATUS_RULE and "latest interim" in STATUS_RULE


async def test_imports_apply_the_rule_whatever_order_files_come_in(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    """The state test first, then interims (a later season, which must not outrank it), for s1
    and s2; for s3 the interims only. First loads merge their counts by the rule: the summary
    ends as a recompute would make it."""
    who = await actor(db, world, ADMIN)
    state = tmp_path / "state.csv"
    state.write_text(
        "Student Number,Level,Subject,Test Date,Assessment\n"
        "s1,4,Math,2026-05-12,State Math\ns2,2,Math,2026-05-12,State Math\n",
        encoding="utf-8",
    )
    interims = tmp_path / "interims.csv"
    interims.write_text(
        "Student Number,Level,Subject,Test Date,Assessment\n"
        + "".join(
            f"{student},{level},Math,{day},Benchmark Math\n"
            for student, level in (("s1", 1), ("s2", 4), ("s3", 4))
            for day in ("2026-01-20", "2026-06-02")
        ),
        encoding="utf-8",
    )
    options = {"format": "generic", "mapping": COLUMNS}
    run = await run_import(
        db.sessionmaker,
        who,
        "csv-scores",
        state,
        {**options, "assessment_key": "state-math", "summative": "true"},
        plugins=plugins,
    )
    assert (run.status, run.rows_inserted) == ("completed", 2), run.message
    run = await run_import(
        db.sessionmaker,
        who,
        "csv-scores",
        interims,
        {**options, "assessment_key": "benchmark-math"},
        plugins=plugins,
    )
    assert (run.status, run.rows_inserted) == ("completed", 6), run.message
    async with db.sessionmaker() as session:
        summative = await session.scalar(
            select(models.Assessment.summative).where(models.Assessment.key == "state-math")
        )
        assert summative is True
        assert await stale_result_status(session, world.district_id) == []
        assert await stored(session, world.student_ids["s1"]) == {("Math", YEAR): (1, 0)}
        assert await stored(session, world.student_ids["s2"]) == {("Math", YEAR): (1, 1)}
        # s3: the June and January benchmarks (spring beats winter) over the world's fall result
        assert await stored(session, world.student_ids["s3"]) == {("Math", YEAR): (1, 0)}
        teacher = await teacher_rows(session, world.id(TEACHER_A), world.district_id)
    assert teacher[("Math", YEAR)] == (3, 1)
