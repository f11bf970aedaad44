"""Score files as a district really exports them, through the core pipeline on both databases
(issue 10, section 7): a OneRoster roster whose state ids are ``{SSID:...}`` entries, then the
CAASPP files matched by SSID; scores no test can produce; a roster without grades or subjects
(the TOMS extract after the CERS export of the same tests: tests/test_csv_scores_pipeline.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.oneroster import state_id, state_id_types
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor
from tests.conftest import TestDatabase
from tests.csv_scores_helpers import errors, results, run_text
from tests.factories import ADMIN, World
from tests.import_helpers import (
    ROSTER,
    actor,
    counts,
    import_roster,
    result_keys,
    row_errors,
)
from tests.import_plugin import import_plugins
from tests.test_csv_scores import FIXTURES
from tests.test_csv_scores_pipeline import lakeview, load, roster

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


async def test_a_roster_without_grades_or_subjects_keeps_the_stored_ones(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    """The same rule for rosters: an empty grade or subject is no reason to erase a known one."""
    first = await import_roster(db, world, import_plugins)
    assert first.status == "completed", first.message
    blanked = tmp_path / "blanked"
    shutil.copytree(ROSTER, blanked)
    users = (blanked / "users.csv").read_text(encoding="utf-8")
    (blanked / "users.csv").write_text(users.replace(",s102,,,,,09,", ",s102,,,,,,"), "utf-8")
    classes = (blanked / "classes.csv").read_text(encoding="utf-8")
    (blanked / "classes.csv").write_text(classes.replace(",as-2026,Science,,3", ",as-2026,,,3"))

    again = await import_roster(db, world, import_plugins, blanked)
    assert (again.status, counts(again)) == ("completed", (25, 0, 0, 25, 0)), again.message
    async with db.sessionmaker() as session:
        student = await session.scalar(
            select(models.Student).where(models.Student.local_id == "s102")
        )
        section = await session.scalar(
            select(models.Section).where(models.Section.local_id == "E-BIO-3")
        )
    assert student is not None and student.grade_level == "9"
    assert section is not None and (section.subject, section.grade_level) == ("Science", "9")


# -------------------------------------------------------------------------
# State ids: OneRoster userIds labels, then CAASPP files matched by SSID
# -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_ids", "expected"),
    [
        ("{SSID:4000000000}", "4000000000"),
        ("{StateID:4000000001}", "4000000001"),
        ("{State ID:4000000002}", "4000000002"),
        ("{state_id:4000000003}", "4000000003"),
        ("{SASID:4000000004}", "4000000004"),
        ("{Fed:T1001},{Statewide Student Identifier:4000000005}", "4000000005"),
        ("[{District:123}, {ssid: 4000000006 }]", "4000000006"),
        ("{Fed:T1001}", None),
        ("{SSID:}", None),
        ("", None),
    ],
)
def test_state_ids_are_read_under_the_labels_districts_use(
    user_ids: str, expected: str | None
) -> None:
    assert state_id(user_ids) == expected


def test_a_district_names_its_own_state_id_label() -> None:
    labels = state_id_types("CALPADS, EDU-ID")
    assert state_id("{CALPADS:4000000000}", labels) == "4000000000"
    assert state_id("{edu id:4000000001}", labels) == "4000000001"
    assert state_id("{SSID:4000000002}", labels) is None, "the option replaces the defaults"
    assert state_id("{CALPADS:4000000000}") is None


def roster_with(tmp_path: Path, replacements: dict[str, str]) -> Path:
    """The roster fixture with some ``userIds`` cells replaced."""
    folder = tmp_path / "roster"
    shutil.copytree(ROSTER, folder)
    users = (folder / "users.csv").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in users
        users = users.replace(old, new)
    (folder / "users.csv").write_text(users, encoding="utf-8")
    return folder


async def cers_for(
    db: TestDatabase, admin: Actor, plugins: PluginSet
) -> tuple[models.ImportRun, dict[int, tuple[str | None, str]]]:
    run = await run_import(
        db.sessionmaker,
        admin,
        "csv-scores",
        FIXTURES / "caaspp_cers_export.csv",
        {"max_error_share": 0.9},
        plugins=plugins,
    )
    return run, {error.row: (error.value, error.reason) for error in await row_errors(db, run.id)}


async def test_ssids_of_a_oneroster_export_match_the_caaspp_files(
    db: TestDatabase, world: World, import_plugins: PluginSet, plugins: PluginSet, tmp_path: Path
) -> None:
    folder = roster_with(
        tmp_path,
        {"{StateID:1100000001}": "{SSID:4012345678}", "{StateID:1100000002}": "{SSID:4012345679}"},
    )
    roster = await import_roster(db, world, import_plugins, folder)
    assert roster.status == "completed", roster.message
    admin = await actor(db, world, ADMIN)

    run, reported = await cers_for(db, admin, plugins)
    assert run.status == "completed", run.message
    matched = await result_keys(db)
    assert {("s1", "caaspp-sb-ela"), ("s1", "caaspp-sb-math"), ("s2", "caaspp-sb-ela")} <= matched
    # nobody in the roster has SSID 4012345680: the error says the state id was looked for
    value, reason = reported[6]
    assert value == "4012345680"
    assert "no student of the district has the state id 4012345680" in reason
    assert "import the roster first" in reason


async def test_the_state_id_label_is_an_option_of_the_roster_import(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    folder = roster_with(tmp_path, {"{StateID:1100000001}": "{CALPADS:4012345678}"})
    run = await import_roster(db, world, import_plugins, folder, {"state_id_types": "CALPADS"})
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        states = dict(
            (await session.execute(select(models.Student.local_id, models.Student.state_id))).all()
        )
    assert states["s1"] == "4012345678"
    assert states["s2"] is None, "StateID is not a CALPADS label: the option replaces the defaults"


async def test_a_roster_without_state_ids_is_named_in_the_row_error(
    db: TestDatabase, plugins: PluginSet
) -> None:
    admin = await lakeview(db)
    await roster(db, admin, "100234")
    run, reported = await cers_for(db, admin, plugins)
    assert run.status == "rejected", "no result finds its student"
    value, reason = reported[2]
    assert value == "4012345678"
    assert "no student of the district has a state id yet" in reason
    assert "{SSID:4000000000}" in reason


# -------------------------------------------------------------------------
# Scores no test produces
# -------------------------------------------------------------------------


async def test_impossible_rit_scores_are_row_errors_and_never_stored(
    db: TestDatabase, plugins: PluginSet
) -> None:
    admin = await lakeview(db)
    await roster(db, admin, *(f"1002{n}" for n in range(34, 41)))
    run = await load(db, admin, plugins, "bad_impossible_scores.csv", max_error_share=0.6)
    assert run.status == "completed", run.message
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (7, 3, 4)
    rejected = {error.row: error for error in await row_errors(db, run.id)}
    assert {row: error.value for row, error in rejected.items()} == {
        3: "-5",
        4: "99999",
        5: "94",
        7: "2,150",
    }
    assert rejected[3].column == "TestRITScore"
    assert rejected[3].reason == (
        "the score -5 is outside the MAP Growth RIT scale (95 to 350): no test produces it"
    )
    async with db.sessionmaker() as session:
        stored = set(await session.scalars(select(models.AssessmentResult.scale_score)))
    assert stored == {215.0, 350.0, 201.0}


CERS_HEADER = (
    "StudentIdentifier,SchoolYear,AssessmentType,AssessmentSubType,AssessmentName,Subject,"
    "SubmitDateTime,ScaleScoreAchievementLevel,ScaleScore\n"
)


@pytest.mark.parametrize(
    ("layout", "text", "bad", "scale"),
    [
        (
            "caaspp-cers",
            CERS_HEADER + "1,2025,Summative,SUM,Grade 4 ELA,ELA,2025-04-22,3,2478\n"
            "2,2025,Summative,SUM,Grade 4 Math,Math,2025-04-22,3,24410\n"
            "3,2025,Summative,SUM,Grade 8 CAST,CAST,2025-04-22,1,95\n"
            "4,2025,Interim,IAB,Fractions,Math,2025-01-14,2,1999\n",
            {3: "24410", 4: "95", 5: "1999"},
            "Smarter Balanced Math summative",
        ),
        (
            "caaspp-toms",
            "RecordType^SSID^ScaleScore^AchievementLevels^AdministrationYear\n"
            "01^1^2478^3^2025\n02^2^2100^1^2025\n",
            {3: "2100"},
            "Smarter Balanced Math summative",
        ),
        (
            "iready-diagnostic",
            "Student ID,Academic Year,Completion Date,Overall Scale Score\n"
            "1,2025-2026,09/09/2025,463\n2,2025-2026,09/09/2025,0\n3,2025-2026,09/09/2025,801\n",
            {3: "0", 4: "801"},
            "i-Ready Diagnostic",
        ),
    ],
)
def test_each_vendor_layout_knows_its_scale(
    layout: str, text: str, bad: dict[int, str], scale: str
) -> None:
    items = run_text(text, "scores_math.csv", layout=layout)
    reported = {error.row: error.value for error in errors(items)}
    assert reported == bad
    assert scale in errors(items)[0].reason
    assert len(results(items)) == 1


def test_a_generic_file_is_held_to_the_bounds_its_options_give() -> None:
    text = "id,score,year,term\n1,55,2025-26,Fall\n2,101,2025-26,Fall\n3,-1,2025-26,Fall\n"
    mapping = {"student_id": "id", "score": "score", "school_year": "year", "term": "term"}
    options = {"layout": "generic", "mapping": mapping, "subject": "Math"}
    assert errors(run_text(text, **options)) == [], "no bounds given: any finite score"
    bounded = run_text(text, score_min=0, score_max=100, **options)
    assert [(error.row, error.value) for error in errors(bounded)] == [(3, "101"), (4, "-1")]
    assert "(0 to 100)" in errors(bounded)[0].reason
