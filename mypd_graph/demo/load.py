"""The demo district: a deterministic, realistic California K-12 district to try mypd_graph on.

``mypd-graph demo load`` and ``mypd-graph serve --demo`` sync the framework plugins, then call
:func:`load_demo` inside their transaction. The district uses the CSTP (``cstp-2009``) as its active
framework. Everything is generated from fixed tables and one seeded ``random.Random`` with fixed
dates, so two loads into two empty databases write identical rows: screenshots, README examples and
bug reports stay reproducible.

Well-known accounts for the README tour (mint a token with ``mypd-graph token --email EMAIL``):

``DEMO_ADMIN_EMAIL`` = ``admin@demo.mypd.test``
    Alicia Moreno, district admin: sees the whole district.
``DEMO_TEACHER_EMAIL`` = ``elena.ramirez@demo.mypd.test``
    Elena Ramirez, Math 7 at Sally Ride Middle School, 4 years in the classroom. Three sections a
    year in 2024-25 and 2025-26; her students fall behind in math during the year (a clear
    student-performance need); her 2025-26 learning plan is *submitted* and waits for a decision;
    she has been observed by her coach and her principal.
``DEMO_COACH_EMAIL`` = ``david.chen@demo.mypd.test``
    David Chen, secondary math and science coach; Elena is on his caseload of 11 teachers.
``DEMO_PRINCIPAL_EMAIL`` = ``robert.nakamura@demo.mypd.test``
    Robert Nakamura, principal of Sally Ride Middle School, Elena's school.
``DEMO_IMPORTER_EMAIL`` = ``importer@demo.mypd.test``
    The service account score imports run as.

Every other user is ``first.last@demo.mypd.test`` (ASCII, lowercase).

What is in it: three schools (Dolores Huerta Elementary K-5, Sally Ride Middle 6-8, Sierra Vista
High 9-12), 40 teachers, 3 coaches, 3 principals, about 800 students with sections and enrollments
for 2024-25 and 2025-26, NWEA MAP Growth (Fall/Winter/Spring) and CAASPP Smarter Balanced results
for both years, the PD resources of the CSTP catalog shipped with the built-in ``catalog`` provider
(``mypd_graph/providers/cstp_catalog.json``, synced through ``sync_resources`` like any provider's,
so recommendations work), three district initiatives, and for most teachers: focus elements,
self-assessments for both years, observations, past training, a 2025-26 learning plan (draft,
submitted, approved or completed, with its history), goals, action steps, evidence and comments.

Conventions other code can rely on:

- Assessment subjects are ``Math`` and ``ELA`` (MAP Reading counts as ELA), the keys of the
  framework's ``subject_elements``. MAP results carry NWEA's projected Smarter Balanced level, so
  every result speaks the same 1-4 scale (3 = standard met).
- Elementary homerooms are sections with subject ``Multiple Subjects``: the homeroom teacher teaches
  both Math and ELA. Secondary sections carry one subject each.
- Student ``grade_level`` is the 2025-26 grade; in 2024-25 a student was one grade lower (2024-25
  sections hold those students). Current kindergarteners have no 2024-25 records; 36 of the 84
  sixth graders came from feeder elementaries outside the demo (2024-25 results, no sections).
- PlanEvent actions are ``submit``, ``return``, ``approve`` and ``complete`` (services.plans.workflow.PlanAction). The teacher
  submits and completes; their coach (or, without one, their principal) returns or approves.

Loading uses bulk ``INSERT ... RETURNING`` (ids come back in row order) and takes a few seconds.
The steps live one module per group of tables (people, students, rosters, results, resources,
practice, feedback, plans, evidence); :func:`_build` runs them in foreign-key order.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.demo.basics import DISTRICT_KEY, FRAMEWORK_KEY
from mypd_graph.demo.evidence import insert_evidence_and_comments
from mypd_graph.demo.feedback import insert_observations, insert_training
from mypd_graph.demo.people import insert_organization, insert_staff
from mypd_graph.demo.plans import insert_plans
from mypd_graph.demo.practice import draw_practice_and_focus, insert_focus_and_self_assessments
from mypd_graph.demo.resources import insert_district_goals, insert_resources
from mypd_graph.demo.results import insert_assessments
from mypd_graph.demo.rosters import insert_sections
from mypd_graph.demo.state import Build
from mypd_graph.demo.students import insert_students


async def database_is_empty(session: AsyncSession) -> bool:
    """True when no district exists yet (frameworks may already be synced)."""
    return await session.scalar(select(models.District.id).limit(1)) is None


async def load_demo(session: AsyncSession) -> str:
    """Write the demo district in the caller's transaction (no commit); return a one-line summary.

    The ``cstp-2009`` framework must already be synced (``sync_frameworks``). Loading twice is
    refused with a clear message instead of a unique-constraint error halfway through.
    """
    if await session.scalar(select(models.District.id).where(models.District.key == DISTRICT_KEY)):
        raise RuntimeError(f"the demo district ({DISTRICT_KEY!r}) is already loaded")
    framework = await session.scalar(
        select(models.Framework).where(models.Framework.key == FRAMEWORK_KEY)
    )
    if framework is None:
        raise RuntimeError(f"framework {FRAMEWORK_KEY!r} is not synced; sync the plugins first")
    levels = list(
        await session.scalars(
            select(models.RatingLevel.id)
            .where(models.RatingLevel.framework_id == framework.id)
            .order_by(models.RatingLevel.position)
        )
    )
    elements = {
        code: element_id
        for code, element_id in await session.execute(
            select(models.Standard.code, models.Standard.id)
            .where(
                models.Standard.framework_id == framework.id,
                models.Standard.is_element.is_(True),
                models.Standard.retired.is_(False),
            )
            .order_by(models.Standard.code)
        )
    }
    subject_elements = {
        subject: tuple(str(code) for code in codes)  # type: ignore[union-attr]
        for subject, codes in framework.subject_elements.items()
    }
    build = Build(session, framework.id, levels, elements, subject_elements)
    await _build(build)
    return ", ".join(f"{count} {what}" for what, count in build.counts.items())


async def _build(build: Build) -> None:
    """One step per group of tables, in foreign-key order: also the order ``build.rng`` is drawn in."""
    await insert_organization(build)
    await insert_staff(build)
    await insert_students(build)
    await insert_sections(build)
    await insert_assessments(build)
    await insert_resources(build)
    await insert_district_goals(build)
    draw_practice_and_focus(build)
    await insert_focus_and_self_assessments(build)
    await insert_training(build)
    await insert_observations(build)
    goals = await insert_plans(build)
    await insert_evidence_and_comments(build, goals)
