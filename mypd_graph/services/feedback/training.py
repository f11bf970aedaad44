"""Training records: PD a teacher already took, one of the four signals behind their needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Standard, TeacherProfile, TrainingRecord, TrainingRecordElement
from mypd_graph.services.access import Actor, teacher_condition
from mypd_graph.services.common import group_by_key, lock_teacher, one_by_key
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.feedback.common import (
    elements_by_owner,
    replace_links,
    require_own_teacher,
    resolve_element_codes,
)
from mypd_graph.services.inputs import check_not_future, check_text, column_length

MAX_HOURS = 500  # more than a year of full-time PD in one record is a typing error
TITLE_MAX_LENGTH = column_length(TrainingRecord.title)
PROVIDER_MAX_LENGTH = column_length(TrainingRecord.provider)


async def record_training(
    session: AsyncSession,
    actor: Actor,
    *,
    teacher_id: int | None,
    title: str,
    provider: str,
    completed_on: date,
    hours: float,
    element_codes: Sequence[str],
) -> TrainingRecord:
    """A teacher records their own training; a district admin records it for any teacher of the
    district (from a transcript, say). Coaches and principals read it but do not write it."""
    teacher_id = actor.user_id if teacher_id is None else teacher_id
    if teacher_id == actor.user_id:
        await require_own_teacher(session, actor, teacher_id)
    else:
        await _require_admin_of(session, actor, teacher_id)
    await lock_teacher(session, teacher_id)
    record = TrainingRecord(
        teacher_id=teacher_id,
        title=check_text(title, ("input", "title"), TITLE_MAX_LENGTH),
        provider=check_text(provider, ("input", "provider"), PROVIDER_MAX_LENGTH, required=False),
        completed_on=check_not_future(completed_on, ("input", "completedOn")),
        hours=_check_hours(hours),
    )
    elements = await resolve_element_codes(session, actor, element_codes, ("input", "elementCodes"))
    duplicate = await session.scalar(
        select(TrainingRecord.id).where(
            TrainingRecord.teacher_id == teacher_id,
            TrainingRecord.title == record.title,
            TrainingRecord.completed_on == record.completed_on,
        )
    )
    if duplicate is not None:  # the natural key imports also use: one record per title and day
        raise invalid(
            ("input", "title"),
            f"{record.title!r} completed on {record.completed_on} is already recorded",
            "DUPLICATE",
        )
    session.add(record)
    await session.flush()
    await replace_links(
        session,
        TrainingRecordElement,
        TrainingRecordElement.training_record_id,
        TrainingRecordElement.element_id,
        record.id,
        [element.id for element in elements],
    )
    return record


async def _require_admin_of(session: AsyncSession, actor: Actor, teacher_id: int) -> None:
    """A district admin writes for teachers of their own district; an unknown teacher and a teacher
    elsewhere get the same answer."""
    if actor.is_district_admin:
        teacher = await session.scalar(
            select(TeacherProfile.user_id).where(
                TeacherProfile.user_id == teacher_id,
                teacher_condition(actor, TeacherProfile.user_id),
            )
        )
        if teacher is not None:
            return
    raise PermissionDenied("only the teacher or a district admin may record their training")


def _check_hours(hours: float) -> float:
    if not 0 < hours <= MAX_HOURS:
        raise invalid(
            ("input", "hours"),
            f"hours must be more than 0 and at most {MAX_HOURS}, got {hours:g}",
            "OUT_OF_RANGE",
        )
    return hours


async def training_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[TrainingRecord]]:
    """Each teacher's training, most recently completed first."""
    rows = await session.scalars(
        select(TrainingRecord)
        .where(
            TrainingRecord.teacher_id.in_(teacher_ids),
            teacher_condition(actor, TrainingRecord.teacher_id),
        )
        .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
    )
    return group_by_key(rows, teacher_ids, lambda row: row.teacher_id)


async def training_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[TrainingRecord | None]:
    rows = await session.scalars(
        select(TrainingRecord).where(
            TrainingRecord.id.in_(ids), teacher_condition(actor, TrainingRecord.teacher_id)
        )
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def training_elements(
    session: AsyncSession, actor: Actor, record_ids: Sequence[int]
) -> list[list[Standard]]:
    return await elements_by_owner(
        session,
        record_ids,
        TrainingRecordElement.training_record_id,
        TrainingRecordElement.element_id,
        TrainingRecord.id,
        teacher_condition(actor, TrainingRecord.teacher_id),
    )
