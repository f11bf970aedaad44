"""Staff from a roster: OneRoster ``administrator`` users become principals of their school or
admins of the district (:class:`~mypd_graph.plugins.types.StaffRecord`).

A roster brings new staff in and keeps their names current; it never changes who an existing
user is. A row naming someone who already holds another role, or a principal at another school,
is a row error naming the conflict, and the user stays as the district's admins set them
(:func:`~mypd_graph.importers.teachers.role_conflict` says the same for teachers). A district that
keeps every role in its admins' hands turns this off (``DistrictSettings.roster_staff_roles``):
the rows then change nothing and the import says why.
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
from mypd_graph.models import DistrictSettings, School, User
from mypd_graph.plugins.types import RowError


def _title(role: str) -> str:
    return role.replace("_", " ")


class StaffWriter:
    """Principals and district admins, matched by email, written row by row (a roster has few)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.district_id = db.params["district_id"]
        self.keys = InMemoryKeys("email")
        self.enabled: bool | None = None
        self.left_alone = 0

    async def _enabled(self) -> bool:
        if self.enabled is None:
            setting = await self.db.scalar(
                select(DistrictSettings.roster_staff_roles).where(
                    DistrictSettings.district_id == self.district_id
                )
            )
            self.enabled = setting is None or bool(setting)
        return self.enabled

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        db, result = self.db, BatchResult()
        rows = self.keys.fresh(rows, 1, file, result)
        if not await self._enabled():
            self.left_alone += len(rows)
            result.counts.unchanged += len(rows)
            return result
        schools = await school_ids(db, (row[4] for row in rows if row[4]))
        users = {}
        for part in chunks([row[1] for row in rows]):
            found = await db.execute(
                select(
                    User.id, User.email, User.district_id, User.name, User.school_id, User.role
                ).where(User.email.in_(part))
            )
            users.update({user.email: user for user in found})
        codes = await self._codes({user.school_id for user in users.values()})
        new_users: list[dict[str, Any]] = []
        for src, email, name, role, code in rows:
            school_id = schools.get(code) if code else None
            if code and school_id is None:
                result.errors.append(
                    RowError(src, "unknown school code", "school_code", code, file)
                )
                continue
            user = users.get(email)
            if user is None:
                if not name:
                    reason = f"a {_title(role)} new to the district needs a name"
                    result.errors.append(RowError(src, reason, "name", "", file))
                    continue
                new_users.append(
                    {
                        "district_id": self.district_id,
                        "school_id": school_id,
                        "email": email,
                        "name": name,
                        "role": role,
                        "active": True,
                        "created_at": db.params["now"],
                    }
                )
                continue
            if user.district_id != self.district_id:
                reason = "this email belongs to a user of another district"
                result.errors.append(RowError(src, reason, "email", email, file))
                continue
            if user.role != role or (role == "principal" and user.school_id != school_id):
                reason = self._conflict(email, user.role, codes.get(user.school_id), role, code)
                result.errors.append(RowError(src, reason, "email", email, file))
                continue
            if name and name != user.name:
                await db.execute(update(User).where(User.id == user.id).values(name=name))
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        if new_users:
            statement = dialect_insert(db, User).on_conflict_do_nothing(index_elements=["email"])
            created = list(await db.execute(statement.returning(User.id), new_users))
            result.counts.inserted += len(created)
            result.counts.unchanged += len(new_users) - len(created)  # another import was faster
        return result

    @staticmethod
    def _conflict(
        email: str, role: str, school: str | None, listed_as: str, listed_at: str | None
    ) -> str:
        where = f" at school {school}" if school else ""
        listed = f" at school {listed_at}" if listed_at else ""
        return (
            f"{email} is a {_title(role)}{where} in mypd, and the roster lists them as a "
            f"{_title(listed_as)}{listed}: a roster import never changes a user's role or school, "
            "so the row is not imported (change it in mypd, or correct the SIS)"
        )

    async def _codes(self, ids: set[int | None]) -> dict[int | None, str]:
        wanted = sorted(school_id for school_id in ids if school_id is not None)
        codes: dict[int | None, str] = {}
        for part in chunks(wanted):
            rows = await self.db.execute(select(School.id, School.code).where(School.id.in_(part)))
            codes.update({school_id: code for school_id, code in rows})
        return codes

    def notes(self) -> list[str]:
        if not self.left_alone:
            return []
        return [
            f"{self.left_alone} administrators left as they are: the district gives staff roles "
            "in mypd, not from the roster (roster_staff_roles is off)"
        ]

    async def close(self) -> None:
        return None
