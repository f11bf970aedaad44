"""The data window (issue 14, item 1) on the demo district, over GraphQL on both databases.

The demo holds the 2024-25 and 2025-26 school years; the clock says 2026-27. A new year's first
partial file (five NWEA MAP Fall 2026-27 results) must change nothing that speaks for a teacher
or a school: the most recent complete year (2025-26) keeps speaking, and every explanation says
so. Before the window, the newest year with any result won: Elena's student signal read "none of
your students have results" and the district's studentResults view lost every Math row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.demo import DEMO_ADMIN_EMAIL, DEMO_TEACHER_EMAIL, load_demo
from mypd_graph.demo.basics import DEMO_PRINCIPAL_EMAIL
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import actor_for
from mypd_graph.services.students.window import school_year_of
from tests.conftest import SECRET

CURRENT = school_year_of(datetime.now(UTC).date())
HEADER = (
    "TermName,DistrictName,SchoolName,StudentLastName,StudentFirstName,StudentID,Grade,Subject,"
    "Course,TestType,TestName,TestStartDate,TestDurationMinutes,TestRITScore,TestStandardError,"
    "TestPercentile\n"
)
NEEDS = """{ viewer { teacher { needs(first: 50, includeUnscored: true) {
  element { code } signals { kind value evidence missingReason } } } } }"""
VIEWS = """{ district { insights {
  topNeeds(first: 5) { teachers note needs { element { code } teachersWithTopNeed meanScore
                                             leadingSignal } }
  studentResults { minimumGroupSize suppressedGroups note
                   rows { school { name } subject schoolYear suppressed students shareBelowStandard window } }
} } }"""


RULES = """mutation { updatePersonalizationSettings(input: {
  resultsRules: { currentYearMinimumStudents: %d } }) {
  settings { resultsRules { currentYearMinimumStudents currentYearFrom proficientPercentile rule } }
  userErrors { field message code } } }"""


class Demo:
    """The demo's app over HTTP, signed in as any of its users."""

    def __init__(self, http: httpx.AsyncClient, users: dict[str, int]) -> None:
        self.http, self.users = http, users

    async def run(self, query: str, email: str) -> dict[str, Any]:
        token = mint_token(SECRET, self.users[email], email)
        response = await self.http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def student_signals(self) -> dict[str, dict[str, tuple]]:
        """Every teacher's student signal per element, as each teacher reads it."""
        found = {}
        for email in self.users:
            if not email.endswith("@demo.mypd.test"):
                continue
            teacher = (await self.run(NEEDS, email))["viewer"]["teacher"]
            if teacher is None:
                continue
            found[email] = {
                need["element"]["code"]: tuple(
                    (s["value"], tuple(s["evidence"]), s["missingReason"])
                    for s in need["signals"]
                    if s["kind"] == "STUDENT_PERFORMANCE"
                )
                for need in teacher["needs"]
            }
        return found


async def _demo(db: Any, settings: Any, plugins: PluginSet) -> tuple[Demo, httpx.AsyncClient]:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
        users = {user.email: user.id for user in await session.scalars(select(models.User))}
    app = create_app(settings, plugins=plugins, engine=db.engine)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return Demo(http, users), http


async def _import_first_fall_file(db: Any, tmp_path: Path, plugins: PluginSet, rows: int) -> None:
    """A new year's first MAP file: ``rows`` of Elena's 2025-26 Math students, Fall 2026-27."""
    start = int(CURRENT[:4])
    async with db.sessionmaker() as session:
        elena = await session.scalar(
            select(models.User.id).where(models.User.email == DEMO_TEACHER_EMAIL)
        )
        students = (
            await session.execute(
                select(models.Student.local_id, models.Student.first_name, models.Student.last_name)
                .join(models.Enrollment, models.Enrollment.student_id == models.Student.id)
                .join(models.Section, models.Section.id == models.Enrollment.section_id)
                .where(models.Section.teacher_id == elena, models.Section.subject == "Math")
                .order_by(models.Student.local_id)
                .distinct()
                .limit(rows)
            )
        ).all()
        admin = actor_for(
            await session.scalar(select(models.User).where(models.User.email == DEMO_ADMIN_EMAIL))
        )
    assert len(students) == rows
    term = f"Fall {start}-{start + 1}"
    scores = tmp_path / "AssessmentResults.csv"
    scores.write_text(
        HEADER
        + "".join(
            f"{term},Demo Unified,Sally Ride Middle School,{last},{first},{local},8,Mathematics,"
            f"Math 6+,Survey With Goals,Growth: Math 6+,9/{10 + n}/{start},45,221,3.1,{40 + n}\n"
            for n, (local, first, last) in enumerate(students)
        ),
        encoding="utf-8",
    )
    options = {"format": "nwea-map"}
    run = await run_import(db.sessionmaker, admin, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_inserted) == ("completed", rows), run.message


async def test_a_new_years_first_partial_file_changes_nothing_that_speaks(
    db: Any, settings: Any, plugins: PluginSet, tmp_path: Path
) -> None:
    demo, http = await _demo(db, settings, plugins)
    async with http:
        signals = await demo.student_signals()
        views = {
            who: await demo.run(VIEWS, who) for who in (DEMO_ADMIN_EMAIL, DEMO_PRINCIPAL_EMAIL)
        }
        await _import_first_fall_file(db, tmp_path, plugins, rows=5)

        # Every teacher's student signal and every district view is as it was...
        assert await demo.student_signals() == signals
        for who, before in views.items():
            assert await demo.run(VIEWS, who) == before
    # ...and says which year speaks, why, and from which assessments.
    elena = signals[DEMO_TEACHER_EMAIL]
    math = next(reading for reading in elena.values() if "in Math" in "".join(reading[0][1]))
    value, evidence, missing = math[0]
    assert value is not None and missing is None
    assert "none of your students" not in " ".join(evidence)
    words = next(line for line in evidence if "in Math" in line)
    assert "2025-26: " in words and " of your " in words
    assert (
        f"2025-26 is the most recent complete year (fewer than 10 of your students have "
        f"results in {CURRENT} so far); results of "
    ) in words
    assert "CAASPP Smarter Balanced Mathematics" in words and "NWEA MAP Growth Math" in words
    present = [
        reading[0] for teacher in signals.values() for reading in teacher.values()
        if reading[0][0] is not None
    ]  # fmt: skip
    assert present and all(
        "2025-26 is the most recent complete year" in line
        for _, lines, _ in present
        for line in lines
    )
    results = views[DEMO_ADMIN_EMAIL]["district"]["insights"]["studentResults"]
    assert {row["subject"] for row in results["rows"]} == {"Math", "ELA"}
    assert all(row["schoolYear"] == "2025-26" for row in results["rows"])
    assert all(
        "2025-26 is the most recent complete year" in row["window"] for row in results["rows"]
    )
    assert results["note"].endswith(
        "years used: ELA: 2025-26 (the most recent complete year); "
        "Math: 2025-26 (the most recent complete year)"
    )


async def test_the_current_year_speaks_once_it_has_enough(
    db: Any, settings: Any, plugins: PluginSet, tmp_path: Path
) -> None:
    """With the district's minimum at 5 students, Elena's five fall results are her Math year
    now, and the explanation says it is the current school year; schools follow the same rule."""
    demo, http = await _demo(db, settings, plugins)
    async with http:
        changed = await demo.run(RULES % 5, DEMO_ADMIN_EMAIL)
        await _import_first_fall_file(db, tmp_path, plugins, rows=5)
        results = (await demo.run(VIEWS, DEMO_ADMIN_EMAIL))["district"]["insights"]
    payload = changed["updatePersonalizationSettings"]
    assert payload["userErrors"] == []
    assert payload["settings"]["resultsRules"]["currentYearMinimumStudents"] == 5
    assert "most recent complete year" in payload["settings"]["resultsRules"]["rule"]
    rows = results["studentResults"]["rows"]
    current = [row for row in rows if row["schoolYear"] == CURRENT]
    assert [(row["subject"], row["suppressed"]) for row in current] == [("Math", True)]
    assert current[0]["window"] == (
        f"{CURRENT} is the current school year; results of NWEA MAP Growth Math"
    )
    others = [row for row in rows if row not in current]
    assert others and all(row["schoolYear"] == "2025-26" for row in others)


def test_the_rule_per_group() -> None:
    """DataWindow.choose, the one rule for teachers and schools: enough results this year, or
    the district's date; else the most recent complete year; else the few there are."""
    from dataclasses import dataclass
    from datetime import date

    from mypd_graph.services.students.window import Basis, DataWindow

    @dataclass
    class Group:
        students: int

    window = DataWindow(
        today=date(2026, 10, 1),
        current="2026-27",
        minimum_students=10,
        current_from=None,
        complete={"Math": "2025-26"},
        assessments={},
    )
    full, few = Group(84), Group(5)
    assert window.choose("Math", {"2026-27": Group(10), "2025-26": full}) == (
        Group(10),
        Basis.CURRENT,
    )
    assert window.choose("Math", {"2026-27": few, "2025-26": full}) == (full, Basis.COMPLETE)
    assert window.choose("Math", {"2026-27": few}) == (few, Basis.PARTIAL)
    assert window.choose("Math", {"2025-26": Group(0)}) is None
    assert window.choose("ELA", {"2026-27": few, "2025-26": full}) == (few, Basis.PARTIAL)
    dated = DataWindow(**{**window.__dict__, "current_from": date(2026, 9, 15)})
    assert dated.choose("Math", {"2026-27": few, "2025-26": full}) == (few, Basis.CURRENT)
    later = DataWindow(**{**window.__dict__, "current_from": date(2026, 11, 1)})
    assert later.choose("Math", {"2026-27": few, "2025-26": full}) == (full, Basis.COMPLETE)
