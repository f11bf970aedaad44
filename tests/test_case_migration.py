"""Migration 20261208_case_frameworks gives frameworks synced before it the identifiers the sync
would give them now, so a deployment's CSTP has the same CASE identifiers as a fresh one; its
downgrade drops its columns in place, losing no rating or choice that refers to an element."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Connection

from mypd_graph import migrate
from mypd_graph.models import FocusElement, Framework, RatingLevel, Standard
from mypd_graph.services.frameworks import identity
from tests.factories import TEACHER_A


def _move(connection: Connection, url: str, revision: str) -> None:
    config = migrate.alembic_config(url)
    config.attributes["connection"] = connection
    if revision == "head":
        command.upgrade(config, "head")
    else:
        command.downgrade(config, revision)


async def test_existing_frameworks_get_their_derived_identifiers(db, world) -> None:
    async with db.sessionmaker.begin() as session:  # a teacher's choice refers to an element
        session.add(
            FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids["1.1"])
        )
    url = db.engine.url.render_as_string(hide_password=False)
    async with db.engine.begin() as connection:
        await connection.run_sync(_move, url, "20261207_audit_trail")
    async with db.engine.begin() as connection:
        await connection.run_sync(_move, url, "head")

    async with db.sessionmaker() as session:
        cstp = await session.scalar(select(Framework).where(Framework.key == "cstp-2009"))
        assert (cstp.source, cstp.identifier) == ("plugin", identity.framework_id("cstp-2009"))
        nodes = list(
            await session.scalars(select(Standard).where(Standard.framework_id == cstp.id))
        )
        levels = list(
            await session.scalars(select(RatingLevel).where(RatingLevel.framework_id == cstp.id))
        )
    assert len(nodes) == 44
    async with db.sessionmaker() as session:  # down and up again lost nothing
        assert len(list(await session.scalars(select(FocusElement)))) == 1
    for node in nodes:
        assert node.identifier == identity.item_id("cstp-2009", node.code)
        assert node.association_identifier == identity.child_link_id("cstp-2009", node.code)
        assert node.item_type == ("Element" if node.is_element else "Standard")
    assert {level.identifier for level in levels} == {
        identity.level_id("cstp-2009", level.key) for level in levels
    }
