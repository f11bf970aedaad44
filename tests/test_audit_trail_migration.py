"""Migration 20261207_audit_trail on fresh databases of both kinds: existing events get their
district, their actor's snapshot and the students they read; the triggers hold after it; it goes
down and up again."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from mypd_graph import models
from mypd_graph.db import create_sessionmaker
from tests.test_audit_database import AT, _migrate, fresh  # noqa: F401  (the fixture)

BEFORE = "20261206_sharing"


async def test_existing_events_are_filled_in_and_then_kept(fresh: AsyncEngine) -> None:  # noqa: F811
    await _migrate(fresh, BEFORE)
    async with fresh.begin() as connection:
        district = await connection.scalar(
            insert(models.District).values(key="d", name="D").returning(models.District.id)
        )
        user = await connection.scalar(
            insert(models.User)
            .values(district_id=district, email="ann@d.test", name="Ann", role="teacher")
            .returning(models.User.id)
        )
        rows = [(1, user, "student", ["3", "4"]), (2, user, "assessment_result", ["9"]),
                (3, 999, "student", ["5"]), (4, None, "import_run", ["1"])]  # fmt: skip
        for event_id, who, entity, ids in rows:
            await connection.execute(
                text(
                    "INSERT INTO audit.audit_event (id, at, user_id, action, entity, entity_ids,"
                    " detail) VALUES (:id, :at, :user, 'read', :entity, :ids, '')"
                ),
                {"id": event_id, "at": AT, "user": who, "entity": entity, "ids": json.dumps(ids)},
            )
    await _migrate(fresh, "head")
    sessionmaker = create_sessionmaker(fresh)
    async with sessionmaker() as session:
        events = list(await session.scalars(select(models.AuditEvent).order_by("id")))
        subjects = (
            await session.execute(
                select(models.AuditSubject.event_id, models.AuditSubject.subject_id).order_by(
                    models.AuditSubject.event_id, models.AuditSubject.subject_id
                )
            )
        ).all()
    snapshot = [(e.district_id, e.actor_email, e.actor_name, e.actor_role) for e in events]
    assert snapshot == [
        (district, "ann@d.test", "Ann", "teacher"),
        (district, "ann@d.test", "Ann", "teacher"),
        (None, None, None, None),  # a user deleted before: nothing said who they were
        (None, None, None, None),
    ]
    assert subjects == [(1, 3), (1, 4), (3, 5)], "reads of students name them"
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessionmaker.begin() as session:
            await session.execute(text("DELETE FROM audit.audit_event"))

    await _migrate(fresh, BEFORE, down=True)
    async with fresh.begin() as connection:  # no trigger left: the old schema allowed this
        await connection.execute(text("UPDATE audit.audit_event SET detail = 'x' WHERE id = 4"))
    await _migrate(fresh, "head")
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(models.AuditEvent)))) == 4
