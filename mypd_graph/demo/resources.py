"""PD resources and the district's initiatives: the shipped CSTP catalog synced and read back, the
three district goals, and the catalog resource that fits a teacher's element.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pluggy
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.demo.basics import at_utc, grade_span, insert_rows
from mypd_graph.demo.state import Build, CatalogResource, Teacher
from mypd_graph.plugins import PROJECT_NAME
from mypd_graph.plugins.manager import Contribution, PluginSet
from mypd_graph.providers.catalog import shipped_catalog
from mypd_graph.services.resources.library import sync_resources


class DistrictGoalSeed(NamedTuple):
    title: str
    description: str
    elements: tuple[str, ...]  # plan goals on these elements align to the initiative...
    subjects: tuple[str, ...]  # ...when the teacher teaches one of these (empty: anyone)


DISTRICT_GOALS = (
    DistrictGoalSeed(
        "Access and Equity for English Learners",
        "Integrated and designated ELD in every classroom, following the California English "
        "Learner Roadmap; raise the reclassification rate by 3 points by 2027.",
        ("1.2", "3.6", "4.1", "4.4"),
        (),
    ),
    DistrictGoalSeed(
        "Math Discourse and Problem Solving",
        "Implement the 2023 California Mathematics Framework: students reason, talk and solve "
        "problems daily; 5 more points of students meeting the CAASPP math standard by 2027.",
        ("1.5", "1.6", "3.3", "3.4", "4.3", "5.2", "5.4"),
        ("Math",),
    ),
    DistrictGoalSeed(
        "Every Student a Reader",
        "Every student reads at grade level by the end of grade 3, and reads complex text in "
        "every subject after that.",
        ("1.6", "3.1", "3.4", "5.2", "5.4"),
        ("ELA",),
    ),
)


async def insert_resources(build: Build) -> None:
    """The CSTP catalog shipped with the built-in ``catalog`` provider, synced through
    ``sync_resources`` like any provider's (a no-op when start-up synced it already), then
    read back in external-id order so the draws from it are the same on every load."""
    provider = shipped_catalog()
    plugins = PluginSet(
        manager=pluggy.PluginManager(PROJECT_NAME),
        resource_providers={provider.name: Contribution("catalog", provider)},
    )
    await sync_resources(build.session, plugins)
    rows = await build.session.execute(
        select(models.Resource, models.Standard.code)
        .join(models.ResourceElement, models.ResourceElement.resource_id == models.Resource.id)
        .join(models.Standard, models.Standard.id == models.ResourceElement.element_id)
        .where(
            models.Resource.provider == provider.name,
            models.Resource.framework_id == build.framework_id,
        )
        .order_by(models.Resource.external_id, models.Standard.code)
    )
    found: dict[str, tuple[models.Resource, list[str]]] = {}
    for resource, code in rows:
        found.setdefault(resource.external_id, (resource, []))[1].append(code)
    build.catalog = [
        CatalogResource(
            resource.id,
            resource.external_id,
            resource.title,
            resource.format,
            tuple(resource.subjects),
            resource.grade_band,
            resource.duration_minutes or 0,
            tuple(codes),
        )
        for resource, codes in found.values()
    ]
    build.resource_ids = {item.external_id: item.id for item in build.catalog}
    build.counts["resources"] = len(build.catalog)


async def insert_district_goals(build: Build) -> None:
    """The district's initiatives, which plan goals on their elements align to."""
    rows = [
        {
            "district_id": build.district_id,
            "title": seed.title,
            "description": seed.description,
            "active": True,
            "created_at": at_utc(date(2025, 7, 28), 17, i),
        }
        for i, seed in enumerate(DISTRICT_GOALS)
    ]
    build.district_goal_ids = await insert_rows(build.session, models.DistrictGoal, rows)
    build.counts["district goals"] = len(rows)


def resource_for(build: Build, teacher: Teacher, code: str) -> CatalogResource | None:
    """A catalog resource aligned to ``code`` that fits the teacher's subjects and grades."""
    fits = [
        seed
        for seed in build.catalog
        if code in seed.elements
        and (not seed.subjects or set(seed.subjects) & set(teacher.seed.subjects))
        and set(grade_span(seed.grade_band)) & set(teacher.grades)
    ]
    return build.rng.choice(fits) if fits else None
