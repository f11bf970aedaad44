"""Who may see and do what: every rule about roles lives here and only here.

Services call these functions and put the returned conditions into their queries, so a row outside the
viewer's reach is never loaded at all. The rules (DESIGN.md, Security):

- a teacher reads and writes their own profile, plans, evidence and self-assessments and reads the
  students enrolled in their own sections;
- a coach reads the teachers assigned to them, the students in those teachers' sections, and writes
  observations and plan decisions for them;
- a principal does the same for the teachers and students of their school;
- a district admin reads the whole district.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, select

from mypd_graph.models import (
    CoachAssignment,
    Enrollment,
    Role,
    Section,
    Student,
    TeacherProfile,
    User,
)
from mypd_graph.services.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The signed-in user a request runs as."""

    user_id: int
    district_id: int
    school_id: int | None
    role: Role
    email: str = ""

    @property
    def is_district_admin(self) -> bool:
        return self.role is Role.DISTRICT_ADMIN


def actor_for(user: User) -> Actor:
    return Actor(user.id, user.district_id, user.school_id, Role(user.role), user.email)


def visible_teacher_ids(actor: Actor) -> Select[tuple[int]]:
    """The ids of the teachers whose growth data the actor may read."""
    teachers = select(TeacherProfile.user_id).join(User, User.id == TeacherProfile.user_id)
    teachers = teachers.where(User.district_id == actor.district_id)
    match actor.role:
        case Role.TEACHER:
            return teachers.where(TeacherProfile.user_id == actor.user_id)
        case Role.COACH:
            assigned = select(CoachAssignment.teacher_id).where(
                CoachAssignment.coach_id == actor.user_id
            )
            return teachers.where(TeacherProfile.user_id.in_(assigned))
        case Role.PRINCIPAL:
            if actor.school_id is None:
                return teachers.where(false())
            return teachers.where(TeacherProfile.school_id == actor.school_id)
        case Role.DISTRICT_ADMIN:
            return teachers
    return teachers.where(false())


def teacher_condition(actor: Actor, teacher_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    """A WHERE condition limiting rows keyed by a teacher id to the teachers the actor may read."""
    return teacher_id_column.in_(visible_teacher_ids(actor))


def visible_student_ids(actor: Actor) -> Select[tuple[int]]:
    """The ids of the students whose records the actor has a legitimate educational interest in."""
    match actor.role:
        case Role.DISTRICT_ADMIN:
            return select(Student.id).where(Student.district_id == actor.district_id)
        case Role.PRINCIPAL:
            if actor.school_id is None:
                return select(Student.id).where(false())
            enrolled = (
                select(Enrollment.student_id)
                .join(Section, Section.id == Enrollment.section_id)
                .where(Section.school_id == actor.school_id)
            )
            return select(Student.id).where(
                Student.district_id == actor.district_id,
                (Student.school_id == actor.school_id) | Student.id.in_(enrolled),
            )
        case Role.TEACHER | Role.COACH:
            return (
                select(Enrollment.student_id)
                .join(Section, Section.id == Enrollment.section_id)
                .join(Student, Student.id == Enrollment.student_id)
                .where(
                    Section.teacher_id.in_(visible_teacher_ids(actor)),
                    Student.district_id == actor.district_id,
                )
            )
    return select(Student.id).where(false())


def _school_of(actor: Actor) -> Select[tuple[int | None]]:
    """The actor's school: a teacher's is their profile's (the one that counts), others' their own."""
    if actor.role is Role.TEACHER:
        return select(TeacherProfile.school_id).where(TeacherProfile.user_id == actor.user_id)
    return select(User.school_id).where(User.id == actor.user_id)


def _coaches_of(teachers: Select[tuple[int]]) -> Select[tuple[int]]:
    return select(CoachAssignment.coach_id).where(CoachAssignment.teacher_id.in_(teachers))


def _principals_of(teachers: Select[tuple[int]]) -> Select[tuple[int]]:
    schools = select(TeacherProfile.school_id).where(TeacherProfile.user_id.in_(teachers))
    return select(User.id).where(User.role == Role.PRINCIPAL.value, User.school_id.in_(schools))


def directory_user_ids(actor: Actor) -> Select[tuple[int]]:
    """Whose name and role the actor may look up (``node(id)`` of a User).

    District admins see the district's staff (and everyone does when the district opens its
    directory: services.people.directory). Otherwise: yourself, the district admins, the staff of your school, the teachers you serve, and
    the coaches and principals of the teachers you may read (a teacher: their own). People who
    appear on a record you may read (an observer, a comment's author) are shown there regardless.
    """
    district = select(User.id).where(User.district_id == actor.district_id)
    if actor.role in IMPORT_ROLES:
        return district
    mine = visible_teacher_ids(actor)
    school = _school_of(actor).scalar_subquery()
    at_school = select(TeacherProfile.user_id).where(TeacherProfile.school_id == school)
    return district.where(
        (User.id == actor.user_id)
        | (User.role == Role.DISTRICT_ADMIN.value)
        | (User.school_id == school)
        | User.id.in_(at_school)
        | User.id.in_(mine)
        | User.id.in_(_coaches_of(mine))
        | User.id.in_(_principals_of(mine))
    )


def contact_user_ids(actor: Actor) -> Select[tuple[int]]:
    """Whose email the actor may read: a teacher their own coaches' and principal's (and their
    own); those who serve teachers, everyone in their directory; admins, the district."""
    if actor.role is not Role.TEACHER:
        return directory_user_ids(actor)
    district = select(User.id).where(User.district_id == actor.district_id)
    me = select(User.id).where(User.id == actor.user_id)
    return district.where(
        (User.id == actor.user_id) | User.id.in_(_coaches_of(me)) | User.id.in_(_principals_of(me))
    )


def may_edit_own(actor: Actor, teacher_id: int) -> None:
    """Profiles, plans, evidence, self-assessments and focus elements are written by their owner."""
    if actor.user_id != teacher_id:
        raise PermissionDenied("only the teacher themself may change this")


def may_supervise(actor: Actor, teacher_id: int | None = None) -> None:
    """Observations and plan decisions are written by the coaches and principals who serve a teacher
    (and district admins); the caller must also check the teacher is visible to the actor. Nobody
    supervises themself: a principal who also teaches cannot approve their own plan."""
    if actor.role not in (Role.COACH, Role.PRINCIPAL, Role.DISTRICT_ADMIN):
        raise PermissionDenied("only a coach, principal or district admin may do this")
    if teacher_id is not None and teacher_id == actor.user_id:
        raise PermissionDenied("a decision about your own growth is made by someone who serves you")


IMPORT_ROLES = (Role.DISTRICT_ADMIN, Role.IMPORTER)


def may_import(actor: Actor) -> None:
    """Only district admins and the importer service role load data into their district."""
    if actor.role not in IMPORT_ROLES:
        raise PermissionDenied("only a district admin or the importer service may import files")
