"""Training records (past PD): each a record and its aligned elements, keyed by teacher, title and date.

A record touches two tables (``training_record`` and ``training_record_element``) and transcripts
are small, so unlike the set-based kinds (:mod:`~mypd_graph.importers.writers`) they are written
row by row from Python, a batch at a time. The importer is :mod:`~mypd_graph.importers.training`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from mypd_graph.importers.bulk import BatchResult, Db, InMemoryKeys, chunks, dialect_insert
from mypd_graph.models import District, Standard, TrainingRecord, TrainingRecordElement, User
from mypd_graph.plugins.types import RowError


class TrainingWriter:
    """Past PD by (teacher, title, completion date); hours, provider and aligned elements update."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.district_id = db.params["district_id"]
        self.keys = InMemoryKeys("teacher, title and date")
        self._elements: dict[str, int] | None = None

    async def elements(self) -> dict[str, int]:
        """Element codes of the district's active framework (read once per import)."""
        if self._elements is None:
            rows = await self.db.execute(
                select(Standard.code, Standard.id)
                .join(District, District.active_framework_id == Standard.framework_id)
                .where(District.id == self.district_id, Standard.is_element.is_(True))
            )
            self._elements = {code: element_id for code, element_id in rows}
        return self._elements

    async def _teachers(self, refs: set[str]) -> dict[str, int]:
        """``email`` or ``#id`` → user id, for users of the district only."""
        found: dict[str, int] = {}
        emails = sorted(ref for ref in refs if not ref.startswith("#"))
        ids = sorted(int(ref[1:]) for ref in refs if ref.startswith("#"))
        in_district = User.district_id == self.district_id
        for part in chunks(emails):
            rows = await self.db.execute(
                select(User.email, User.id).where(in_district, User.email.in_(part))
            )
            found.update({email: user_id for email, user_id in rows})
        for part in chunks(ids):
            rows = await self.db.execute(select(User.id).where(in_district, User.id.in_(part)))
            found.update({f"#{user_id}": user_id for (user_id,) in rows})
        return found

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        db, result = self.db, BatchResult()
        rows = self.keys.fresh(rows, 3, file, result)
        teachers = await self._teachers({row[1] for row in rows})
        elements = await self.elements()
        valid = []
        for src, ref, title, completed_on, hours, provider, codes in rows:
            teacher_id = teachers.get(ref)
            if teacher_id is None:
                column = "teacher_id" if ref.startswith("#") else "teacher_email"
                reason = "unknown teacher: no user of the district has this " + (
                    "id" if ref.startswith("#") else "email"
                )
                result.errors.append(RowError(src, reason, column, ref.lstrip("#"), file))
                continue
            unknown = [code for code in codes if code not in elements]
            if unknown:
                reason = "unknown element code(s) of the district's active framework"
                result.errors.append(
                    RowError(src, reason, "element_codes", "; ".join(unknown), file)
                )
                continue
            element_ids = frozenset(elements[code] for code in codes)
            valid.append((teacher_id, title, completed_on, hours, provider, element_ids))
        existing = await self._existing({row[0] for row in valid})
        links = await self._links([record.id for record in existing.values()])
        new = []
        for teacher_id, title, completed_on, hours, provider, element_ids in valid:
            record = existing.get((teacher_id, title, completed_on))
            if record is None:
                new.append((teacher_id, title, completed_on, hours, provider, element_ids))
                continue
            changed = False
            if record.hours != hours or record.provider != provider:
                await db.execute(
                    update(TrainingRecord)
                    .where(TrainingRecord.id == record.id)
                    .values(hours=hours, provider=provider)
                )
                changed = True
            if links.get(record.id, frozenset()) != element_ids:
                await self._replace_links(record.id, links.get(record.id, frozenset()), element_ids)
                changed = True
            if changed:
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        await self._insert(new, result)
        return result

    async def _existing(self, teacher_ids: set[int]) -> dict[tuple[Any, ...], Any]:
        found = {}
        for part in chunks(sorted(teacher_ids)):
            rows = await self.db.execute(
                select(
                    TrainingRecord.id,
                    TrainingRecord.teacher_id,
                    TrainingRecord.title,
                    TrainingRecord.completed_on,
                    TrainingRecord.hours,
                    TrainingRecord.provider,
                ).where(TrainingRecord.teacher_id.in_(part))
            )
            found.update({(row.teacher_id, row.title, row.completed_on): row for row in rows})
        return found

    async def _links(self, record_ids: list[int]) -> dict[int, frozenset[int]]:
        grouped: dict[int, set[int]] = {}
        for part in chunks(record_ids):
            rows = await self.db.execute(
                select(
                    TrainingRecordElement.training_record_id, TrainingRecordElement.element_id
                ).where(TrainingRecordElement.training_record_id.in_(part))
            )
            for record_id, element_id in rows:
                grouped.setdefault(record_id, set()).add(element_id)
        return {record_id: frozenset(ids) for record_id, ids in grouped.items()}

    async def _replace_links(
        self, record_id: int, old: frozenset[int], new: frozenset[int]
    ) -> None:
        if old - new:
            await self.db.execute(
                delete(TrainingRecordElement).where(
                    TrainingRecordElement.training_record_id == record_id,
                    TrainingRecordElement.element_id.in_(sorted(old - new)),
                )
            )
        if new - old:
            await self.db.execute(
                dialect_insert(self.db, TrainingRecordElement).on_conflict_do_nothing(),
                [{"training_record_id": record_id, "element_id": e} for e in sorted(new - old)],
            )

    async def _insert(self, new: list[tuple[Any, ...]], result: BatchResult) -> None:
        if not new:
            return
        now = self.db.params["now"]
        values = [
            {
                "teacher_id": teacher_id,
                "title": title,
                "completed_on": completed_on,
                "hours": hours,
                "provider": provider,
                "created_at": now,
            }
            for teacher_id, title, completed_on, hours, provider, _ in new
        ]
        statement = dialect_insert(self.db, TrainingRecord).on_conflict_do_nothing(
            index_elements=["teacher_id", "title", "completed_on"]
        )
        created = await self.db.execute(
            statement.returning(
                TrainingRecord.id,
                TrainingRecord.teacher_id,
                TrainingRecord.title,
                TrainingRecord.completed_on,
            ),
            values,
        )
        ids = {(row.teacher_id, row.title, row.completed_on): row.id for row in created}
        links = [
            {"training_record_id": ids[(teacher_id, title, completed_on)], "element_id": element}
            for teacher_id, title, completed_on, _, _, elements in new
            if (teacher_id, title, completed_on) in ids
            for element in sorted(elements)
        ]
        if links:
            await self.db.execute(dialect_insert(self.db, TrainingRecordElement), links)
        result.counts.inserted += len(ids)
        result.counts.unchanged += len(new) - len(ids)  # written by a concurrent import meanwhile

    async def close(self) -> None:
        return None
