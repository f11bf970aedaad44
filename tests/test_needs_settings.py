"""Needs settings: district weights and the subject map change needs; only admins change them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mypd_graph.services.personalization.settings import Signal
from tests.factories import ADMIN, PRINCIPAL_NORTH, TEACHER_A, World
from tests.needs_helpers import needs_of, observe, reading, self_rate, set_settings
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


# --- settings -------------------------------------------------------------------------------------


async def test_district_weights_change_the_score(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging"})
    await observe(db, world, TEACHER_A, {"1.6": "innovating"})
    before = (await needs_of(db, world, TEACHER_A))["1.6"].score
    await set_settings(db, world, weight_self_assessment=0.0)
    after = (await needs_of(db, world, TEACHER_A))["1.6"]
    assert before == pytest.approx(0.2 / 0.5, abs=1e-4) and after.score == 0.0
    assert reading(after, Signal.SELF_ASSESSMENT).effective_weight == 0.0
    assert reading(after, Signal.OBSERVATION).weight == pytest.approx(0.3 / 0.8)


SETTINGS = """
mutation($input: UpdatePersonalizationSettingsInput!) {
  updatePersonalizationSettings(input: $input) {
    settings {
      weights { studentPerformance training selfAssessment observation }
      minimumGroupSize trainingWindowMonths trainingFullHours
      subjectElements { subject elementCodes overridden }
    }
    userErrors { field message code }
  }
}
"""


async def test_admins_change_settings_and_others_cannot(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    change = {
        "weights": {"training": 0.0},
        "minimumGroupSize": 2,
        "subjectElements": [{"subject": "Math", "elementCodes": ["6.7"]}],
    }
    refused = await client.execute(SETTINGS, {"input": change}, as_=PRINCIPAL_NORTH)
    assert refused["updatePersonalizationSettings"]["userErrors"][0]["code"] == "FORBIDDEN"

    data = (await client.execute(SETTINGS, {"input": change}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["userErrors"] == []
    settings = data["settings"]
    assert settings["weights"] == {
        "studentPerformance": 0.35,
        "training": 0.0,
        "selfAssessment": 0.2,
        "observation": 0.3,
    }
    assert settings["minimumGroupSize"] == 2
    by_subject = {row["subject"]: row for row in settings["subjectElements"]}
    assert by_subject["Math"] == {"subject": "Math", "elementCodes": ["6.7"], "overridden": True}
    assert by_subject["ELA"]["overridden"] is False and "1.6" in by_subject["ELA"]["elementCodes"]

    needs = await needs_of(db, world, TEACHER_A)
    assert reading(needs["6.7"], Signal.STUDENT_PERFORMANCE).value is not None
    assert reading(needs["1.6"], Signal.STUDENT_PERFORMANCE).missing_reason == (
        "none of the teacher's students have results in ELA or Science"
    )

    read = await client.execute(
        "{ district { personalizationSettings { minimumGroupSize } } }", as_=TEACHER_A
    )
    assert read["district"]["personalizationSettings"]["minimumGroupSize"] == 2


async def test_bad_settings_are_user_errors(client: GraphQLClient) -> None:
    bad = {
        "weights": {"training": -1.0},
        "minimumGroupSize": 0,
        "trainingFullHours": 0,
        "subjectElements": [{"subject": "Math", "elementCodes": ["9.9"]}],
    }
    data = (await client.execute(SETTINGS, {"input": bad}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["settings"] is None
    fields = {tuple(error["field"]): error["code"] for error in data["userErrors"]}
    assert fields == {
        ("input", "weights"): "RANGE",
        ("input", "minimumGroupSize"): "RANGE",
        ("input", "trainingFullHours"): "RANGE",
        ("input", "subjectElements", "0", "elementCodes"): "UNKNOWN_ELEMENT",
    }
    zero = {
        "weights": {"studentPerformance": 0, "training": 0, "selfAssessment": 0, "observation": 0}
    }
    data = (await client.execute(SETTINGS, {"input": zero}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["userErrors"][0]["message"] == "at least one weight must be above 0"
