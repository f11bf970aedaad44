"""Teachers from a roster: users matched by email, each with a teacher profile at their school.

A teacher touches two tables (``app_user`` and ``teacher_profile``) and a roster names a few hundred
of them, so unlike the set-based kinds (:mod:`~mypd_graph.importers.writers`) they are written row
by row from Python, a batch at a time.

A roster says who teaches; mypd says who is a principal, a coach or an administrator, and a roster
never overrides that. A row naming as a teacher a user who holds another role (a principal listed
as teaching at another school) is a row error naming the conflict: the user's school, role and
name stay as they are, and the sections that name them as teacher of record are rejected too
(:data:`~mypd_graph.importers.writers.STAGED`).
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
from mypd_graph.models import Role, School, TeacherProfile, User
from mypd_graph.plugins.types import RowError


def role_conflict(
    email: str, role: str, school: str | None, listed_at: str | None, file: str
) -> str:
    """Why a roster row naming a non-teacher as a teacher is not imported, in the district's words."""
    title = role.replace("_", " ")
    where = f" at school {school}" if school else ""
    listed = f" at school {listed_at}" if listed_at else ""
    source = file or "the roster"
    return (
        f"{email} is a {title}{where} in mypd, and {source} lists them as a teacher{listed}: "
        f"a roster import never changes a {title}'s school or role, so the row is not imported "
        f"(correct the role in the SIS or in mypd)"
    )


class TeacherWriter:
    """Teachers are users matched by email: new ones become teachers of the district with a profile;
    known teachers get their name and school updated; users with another role are row errors."""

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
        others = {user.school_id for user in users.values() if user.role != Role.TEACHER.value}
        codes = await self._school_codes(others)
        new_users: list[dict[str, Any]] = []
        known: list[tuple[int, int | None, bool]] = []  # id, school, changed
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
            if user.role != Role.TEACHER.value:
                reason = role_conflict(email, user.role, codes.get(user.school_id), code, file)
                result.errors.append(RowError(src, reason, "email", email, file))
                continue
            change: dict[str, Any] = {}
            if name and name != user.name:
                change["name"] = name
            if school_id is not None and school_id != user.school_id:
                change["school_id"] = school_id
            if change:
                await db.execute(update(User).where(User.id == user.id).values(**change))
            known.append((user.id, school_id, bool(change)))
        if new_users:
            statement = dialect_insert(db, User).on_conflict_do_nothing(index_elements=["email"])
            created = list(
                await db.execute(statement.returning(User.id, User.school_id), new_users)
            )
            await self._ensure_profiles([(row.id, row.school_id) for row in created])
            result.counts.inserted += len(created)
            result.counts.unchanged += len(new_users) - len(created)  # another import was faster
        profile_changed = await self._ensure_profiles(
            [(user_id, school_id) for user_id, school_id, _ in known]
        )
        for user_id, _, changed in known:
            if changed or user_id in profile_changed:
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        return result

    async def _school_codes(self, ids: set[int | None]) -> dict[int | None, str]:
        """The codes of the schools users of this batch belong to (for the role conflict's words)."""
        wanted = sorted(school_id for school_id in ids if school_id is not None)
        codes: dict[int | None, str] = {}
        for part in chunks(wanted):
            rows = await self.db.execute(select(School.id, School.code).where(School.id.in_(part)))
            codes.update({school_id: code for school_id, code in rows})
        return codes

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
