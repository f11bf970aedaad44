"""Score files as a district really exports them, through the core pipeline on both databases
(issue 10, section 7): a OneRoster roster whose state ids are ``{SSID:...}`` entries, then the
CAASPP files matched by SSID; scores no test can produce; the TOMS extract after the CERS export
of the same tests."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from tests.conftest import TestDatabase
from tests.factories import ADMIN, World
from tests.import_helpers import ROSTER, actor, counts
from tests.import_plugin import import_plugins
from tests.test_csv_scores_pipeline import SMALL_FILE_SHARE, lakeview, load

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


async def administered(db: TestDatabase, key: str) -> dict[str, date | None]:
    """Test dates of one assessment's results, by the student's local id."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.Student.local_id, models.AssessmentResult.administered_on)
            .join(models.AssessmentResult, models.AssessmentResult.student_id == models.Student.id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
            .where(models.Assessment.key == key)
        )
        return dict(rows.all())


async def test_the_toms_extract_after_the_cers_export_keeps_the_test_dates(
    db: TestDatabase, plugins: PluginSet
) -> None:
    """TOMS carries no test date; CERS does. Loading TOMS second must not blank them."""
    admin = await lakeview(db)
    options = {"create_students": True, "max_error_share": SMALL_FILE_SHARE}
    cers = await load(db, admin, plugins, "caaspp_cers_export.csv", **options)
    assert cers.status == "completed", cers.message
    dated = await administered(db, "caaspp-sb-ela")
    assert dated == {"4012345678": date(2025, 4, 22), "4012345679": date(2025, 4, 23)}

    toms = await load(db, admin, plugins, "caaspp_toms_extract.zip", **options)
    assert toms.status == "completed", toms.message
    assert await administered(db, "caaspp-sb-ela") == dated
    assert (await administered(db, "caaspp-sb-math"))["4012345678"] == date(2025, 4, 29)
    # the same scores and levels, and no date to add: nothing to write
    assert (toms.rows_inserted, toms.rows_updated, toms.rows_unchanged) == (0, 0, 4)


async def test_a_roster_without_grades_or_subjects_keeps_the_stored_ones(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    """The same rule for rosters: an empty grade or subject is no reason to erase a known one."""
    admin = await actor(db, world, ADMIN)
    first = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    assert first.status == "completed", first.message
    blanked = tmp_path / "blanked"
    shutil.copytree(ROSTER, blanked)
    users = (blanked / "users.csv").read_text(encoding="utf-8")
    (blanked / "users.csv").write_text(users.replace(",s102,,,,,09,", ",s102,,,,,,"), "utf-8")
    classes = (blanked / "classes.csv").read_text(encoding="utf-8")
    (blanked / "classes.csv").write_text(classes.replace(",as-2026,Science,,3", ",as-2026,,,3"))

    again = await run_import(db.sessionmaker, admin, "oneroster", blanked, plugins=import_plugins)
    assert (again.status, counts(again)) == ("completed", (24, 0, 0, 24, 0)), again.message
    async with db.sessionmaker() as session:
        student = await session.scalar(
            select(models.Student).where(models.Student.local_id == "s102")
        )
        section = await session.scalar(
            select(models.Section).where(models.Section.local_id == "E-BIO-3")
        )
    assert student is not None and student.grade_level == "9"
    assert section is not None and (section.subject, section.grade_level) == ("Science", "9")
