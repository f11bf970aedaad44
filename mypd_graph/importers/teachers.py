"""Teachers from a roster: users matched by email, each with a teacher profile at their school.

A teacher touches two tables (``app_user`` and ``teacher_profile``) and a roster names a few hundred
of them, so unlike the set-based kinds (:mod:`~mypd_graph.importers.writers`) they are written row
by row from Python, a batch at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from mypd_graph.importers.bulk import (
    BatchResult,
    Db,
    InMemoryKeys,
    chunks,
    dialect_insert,
    school_ids,
)
from mypd_graph.models import Role, TeacherProfile, User
from mypd_graph.plugins.types import RowError


class TeacherWriter:
    """Teachers are users matched by email: new ones become teachers of the district with a profile;
    known ones get their name and school updated (their role is left alone)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.district_id = db.params["district_id"]
        self.keys = InMemoryKeys("email")

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        db, result = self.db, BatchResult()
        rows = self.keys.fresh(rows, 1, file, result)
        schools = await school_ids(db, (row[3] for row in rows if row[3]))
        users = {}
        for part in chunks([row[1] for row in rows]):
            found = await db.execute(
                select(
                    User.id, User.email, User.district_id, User.name, User.school_id, User.role
                ).where(User.email.in_(part))
            )
            users.update({user.email: user for user in found})
        new_users: list[dict[str, Any]] = []
        known: list[tuple[int, int | None, bool, bool]] = []  # id, school, changed, is teacher
        for src, email, name, code in rows:
            school_id = schools.get(code) if code else None
            if code and school_id is None:
                result.errors.append(
                    RowError(src, "unknown school code", "school_code", code, file)
                )
                continue
            user = users.get(email)
            if user is None:
                if not name:
                    reason = "a teacher new to the district needs a name"
                    result.errors.append(RowError(src, reason, "name", "", file))
                    continue
                new_users.append(
                    {
                        "district_id": self.district_id,
                        "school_id": school_id,
                        "email": email,
                        "name": name,
                        "role": Role.TEACHER.value,
                        "active": True,
                        "created_at": db.params["now"],
                    }
                )
                continue
            if user.district_id != self.district_id:
                reason = "this email belongs to a user of another district"
                result.errors.append(RowError(src, reason, "email", email, file))
                continue
            change: dict[str, Any] = {}
            if name and name != user.name:
                change["name"] = name
            if school_id is not None and school_id != user.school_id:
                change["school_id"] = school_id
            if change:
                await db.execute(update(User).where(User.id == user.id).values(**change))
            known.append((user.id, school_id, bool(change), user.role == Role.TEACHER.value))
        if new_users:
            statement = dialect_insert(db, User).on_conflict_do_nothing(index_elements=["email"])
            created = list(
                await db.execute(statement.returning(User.id, User.school_id), new_users)
            )
            await self._ensure_profiles([(row.id, row.school_id) for row in created])
            result.counts.inserted += len(created)
            result.counts.unchanged += len(new_users) - len(created)  # another import was faster
        profile_changed = await self._ensure_profiles(
            [(user_id, school_id) for user_id, school_id, _, teacher in known if teacher]
        )
        for user_id, _, changed, _ in known:
            if changed or user_id in profile_changed:
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        return result

    async def _ensure_profiles(self, teachers: list[tuple[int, int | None]]) -> set[int]:
        """Each teacher gets a profile at their school; returns the ids whose profile changed."""
        db, changed = self.db, set()
        profiles: dict[int, int | None] = {}
        for part in chunks([user_id for user_id, _ in teachers]):
            found = await db.execute(
                select(TeacherProfile.user_id, TeacherProfile.school_id).where(
                    TeacherProfile.user_id.in_(part)
                )
            )
            profiles.update({row.user_id: row.school_id for row in found})
        missing = []
        for user_id, school_id in teachers:
            if user_id not in profiles:
                missing.append(
                    {
                        "user_id": user_id,
                        "school_id": school_id,
                        "subjects": [],
                        "grade_levels": [],
                        "bio": "",
                    }
                )
                changed.add(user_id)
            elif school_id is not None and profiles[user_id] != school_id:
                await db.execute(
                    update(TeacherProfile)
                    .where(TeacherProfile.user_id == user_id)
                    .values(school_id=school_id)
                )
                changed.add(user_id)
        if missing:
            statement = dialect_insert(db, TeacherProfile).on_conflict_do_nothing(
                index_elements=["user_id"]
            )
            await db.execute(statement, missing)
        return changed

    async def close(self) -> None:
        return None
