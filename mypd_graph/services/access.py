"""Who may see and do what: every rule about roles lives here and only here.

Services call these functions and put the returned conditions into their queries, so a row outside the
viewer's reach is never loaded at all. The rules (DESIGN.md, Security):

- a teacher reads and writes their own profile, plans, evidence and self-assessments and reads the
  students enrolled in their own sections, as far back as the district's student scope allows
  (``student_scope_condition``);
- a coach reads the teachers assigned to them, the students in those teachers' sections, and writes
  observations and plan decisions for them;
- a principal does the same for the teachers and students of their school;
- a district admin reads the whole district.

Within that reach, a teacher's growth record has audiences (docs/privacy.md, "Who sees what"): the
conditions below (``audience_condition`` and its kin) narrow every read of evidence,
self-assessments, observations, comments, plans, reflections and the growth profile, so that the
one rule holds on every path (lists, ``node``, counts, nested fields, needs, growth).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import aliased

from mypd_graph.models import (
    CoachAssignment,
    Comment,
    DistrictSettings,
    Enrollment,
    Evidence,
    Goal,
    LearningPlan,
    Observation,
    ObservationKind,
    PlanEvent,
    PlanStatus,
    Role,
    School,
    Section,
    Student,
    TeacherProfile,
    User,
)
from mypd_graph.models.growth import Audience
from mypd_graph.models.settings import DEFAULT_DISTRICT_AUDIENCE, DEFAULT_STUDENT_SCOPE
from mypd_graph.services.errors import PermissionDenied
from mypd_graph.services.inputs import today
from mypd_graph.services.students.status import subject_matches


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


# --- sharing: who within reach sees which item of a teacher's growth record ---------------------

SUPERVISOR_ROLES = (Role.PRINCIPAL, Role.DISTRICT_ADMIN)
EVALUATOR_ROLES = (Role.PRINCIPAL.value, Role.DISTRICT_ADMIN.value)
# The audiences that let each role in (the owner always sees their own).
AUDIENCE_READERS: dict[Role, tuple[str, ...]] = {
    Role.COACH: (Audience.COACH.value, Audience.SUPERVISORS.value),
    Role.PRINCIPAL: (Audience.SUPERVISORS.value,),
    Role.DISTRICT_ADMIN: (Audience.SUPERVISORS.value,),
}


def shared_with(
    actor: Actor, owner_column: ColumnElement[int], audience: ColumnElement[str]
) -> ColumnElement[bool]:
    """Whether an item of a teacher (``owner_column``) with ``audience`` is shared with the
    actor's role, or is the actor's own; the caller also keeps the teacher within reach."""
    readers = AUDIENCE_READERS.get(actor.role, ())
    mine = owner_column == actor.user_id
    return or_(mine, audience.in_(readers)) if readers else mine


def audience_condition(
    actor: Actor, teacher_id_column: ColumnElement[int], audience_column: ColumnElement[str]
) -> ColumnElement[bool]:
    """Rows a teacher gave an audience (evidence, self-assessments): within the actor's reach
    (``teacher_condition``) and shared with the actor's role, or the actor's own."""
    return and_(
        teacher_condition(actor, teacher_id_column),
        shared_with(actor, teacher_id_column, audience_column),
    )


def district_default_audience(district_id: int) -> ColumnElement[str]:
    """The audience of records a teacher did not choose one for (the district's, else the default)."""
    chosen = select(DistrictSettings.default_audience).where(
        DistrictSettings.district_id == district_id
    )
    return func.coalesce(chosen.correlate(None).scalar_subquery(), DEFAULT_DISTRICT_AUDIENCE)


def growth_teacher_ids(actor: Actor) -> Select[tuple[int]]:
    """The teachers whose growth profile (needs, growth, suggestions) the actor may read."""
    audience = func.coalesce(
        TeacherProfile.growth_audience, district_default_audience(actor.district_id)
    )
    return visible_teacher_ids(actor).where(shared_with(actor, TeacherProfile.user_id, audience))


def _district_says(actor: Actor, setting: ColumnElement[bool]) -> ColumnElement[bool]:
    found = select(DistrictSettings.district_id).where(
        DistrictSettings.district_id == actor.district_id, setting.is_(True)
    )
    return found.correlate(None).exists()


def _coaching_open(actor: Actor) -> ColumnElement[bool]:
    """Coaching (coaching observations, coaches' comments) reaches this actor."""
    if actor.role is Role.COACH:
        return true()
    if actor.role in SUPERVISOR_ROLES:
        return _district_says(actor, DistrictSettings.coaching_shared_with_supervisors)
    return false()


def _evaluation_open(actor: Actor) -> ColumnElement[bool]:
    """Evaluation (formal, informal and walkthrough observations, evaluators' comments) reaches
    this actor."""
    if actor.role in SUPERVISOR_ROLES:
        return true()
    if actor.role is Role.COACH:
        return _district_says(actor, DistrictSettings.evaluations_shared_with_coaches)
    return false()


def observation_shared(actor: Actor) -> ColumnElement[bool]:
    """Whether an observation's kind reaches the actor: a coaching observation is the teacher's
    and their coaches' (a district may add supervisors), any other kind the teacher's and their
    supervisors' (a district may add coaches); the observer always reads what they wrote."""
    coaching = Observation.kind == ObservationKind.COACHING.value
    return or_(
        Observation.teacher_id == actor.user_id,
        Observation.observer_id == actor.user_id,
        and_(coaching, _coaching_open(actor)),
        and_(~coaching, _evaluation_open(actor)),
    )


def observation_condition(actor: Actor) -> ColumnElement[bool]:
    """Observations the actor may read: within reach, and of a kind that reaches them."""
    return and_(teacher_condition(actor, Observation.teacher_id), observation_shared(actor))


def plan_condition(actor: Actor) -> ColumnElement[bool]:
    """Plans the actor may read: the teacher's own, and for those who serve them, plans that have
    been submitted (a plan returned to draft stays in view; one never submitted does not)."""
    event = aliased(PlanEvent)  # the plan's own history, whatever table the query reads
    submitted = (
        select(event.id)
        .where(event.plan_id == LearningPlan.id, event.to_status == PlanStatus.SUBMITTED.value)
        .correlate(LearningPlan)
        .exists()
    )
    return and_(
        teacher_condition(actor, LearningPlan.teacher_id),
        or_(
            LearningPlan.teacher_id == actor.user_id,
            LearningPlan.status != PlanStatus.DRAFT.value,
            submitted,
        ),
    )


def _author_open(actor: Actor) -> ColumnElement[bool]:
    """Whether the comment's author speaks to the actor: a coach's comment is coaching, a
    principal's or admin's is evaluation, the teacher's follows the item."""
    if actor.role is Role.TEACHER:
        return true()  # within reach, a teacher's items are their own
    author = aliased(User)
    author_role = (
        select(author.role).where(author.id == Comment.author_id).correlate(Comment)
    ).scalar_subquery()
    return or_(
        Comment.author_id == actor.user_id,
        author_role == Role.TEACHER.value,
        and_(author_role == Role.COACH.value, _coaching_open(actor)),
        and_(author_role.in_(EVALUATOR_ROLES), _evaluation_open(actor)),
    )


def comment_condition(actor: Actor) -> ColumnElement[bool]:
    """Comments the actor may read: on an item they may read (a comment on hidden evidence is
    hidden too), and from an author whose kind of feedback reaches them."""
    on_evidence = select(Evidence.id).where(
        Evidence.id == Comment.evidence_id,
        audience_condition(actor, Evidence.teacher_id, Evidence.audience),
    )
    on_observation = select(Observation.id).where(
        Observation.id == Comment.observation_id, observation_condition(actor)
    )
    on_goal = select(Goal.id).where(
        Goal.id == Comment.goal_id, LearningPlan.id == Goal.plan_id, plan_condition(actor)
    )
    targets = (on_evidence, on_observation, on_goal)
    readable = or_(*(target.correlate(Comment).exists() for target in targets))
    if actor.role is Role.TEACHER:
        return and_(readable, _author_open(actor))
    # Staff who also teach (a principal with a teacher profile) read every comment on their own
    # record, as any teacher does.
    own = (
        select(Evidence.id).where(Evidence.id == Comment.evidence_id),
        select(Observation.id).where(Observation.id == Comment.observation_id),
        select(Goal.id).where(Goal.id == Comment.goal_id, LearningPlan.id == Goal.plan_id),
    )
    owners = (Evidence.teacher_id, Observation.teacher_id, LearningPlan.teacher_id)
    mine = or_(
        *(
            target.where(owner == actor.user_id).correlate(Comment).exists()
            for target, owner in zip(own, owners, strict=True)
        )
    )
    return and_(readable, or_(mine, _author_open(actor)))


def school_year_of(day: date) -> str:
    """The school year (``2025-26``) a day falls in; years run July to June."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _district_year(actor: Actor, before: ColumnElement[str] | None = None) -> ColumnElement[str]:
    """The district's newest school year with sections that has begun (the calendar's year or
    earlier), or with ``before`` the newest one before it. Data, not the calendar alone, decides:
    over the summer, before next year's rosters arrive, last year's classes are still current,
    and a roster loaded early for next year waits for July."""
    section, school = aliased(Section), aliased(School)
    years = (
        select(func.max(section.school_year))
        .join(school, school.id == section.school_id)
        .where(
            school.district_id == actor.district_id,
            section.school_year <= school_year_of(today()),
        )
    )
    if before is not None:
        years = years.where(section.school_year < before)
    return years.correlate(None).scalar_subquery()


def _student_scope(actor: Actor) -> ColumnElement[str]:
    """The district's student scope (models.settings.STUDENT_SCOPES), else the default."""
    chosen = select(DistrictSettings.student_scope).where(
        DistrictSettings.district_id == actor.district_id
    )
    return func.coalesce(chosen.correlate(None).scalar_subquery(), DEFAULT_STUDENT_SCOPE)


def student_scope_condition(
    actor: Actor,
    school_year: ColumnElement[str],
    section_subject: ColumnElement[str] | None = None,
    subject: ColumnElement[str] | None = None,
) -> ColumnElement[bool]:
    """Whether a teacher's section of ``school_year`` still opens its students to the actor, and
    with ``subject`` (an assessment's) their results in it: the district's student scope.

    "current": this school year's sections; "recent" (the default): also last year's, whose
    students' results count only in the subjects the section taught (``section_subject``, a
    generalist section teaches all); "all": every year. A teacher's legitimate interest in a
    student ends with the class; coaches, principals and admins serve teachers and schools and
    are not narrowed. For a summary already kept per teacher, subject and year (its subject
    matched), pass only ``school_year``.
    """
    if actor.role is not Role.TEACHER:
        return true()
    scope = _student_scope(actor)
    current = _district_year(actor)
    last_year = school_year == _district_year(actor, before=current)
    if subject is not None and section_subject is not None:
        last_year = and_(last_year, subject_matches(section_subject, subject))
    return or_(scope == "all", school_year == current, and_(scope == "recent", last_year))


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
                    student_scope_condition(actor, Section.school_year),
                )
            )
    return select(Student.id).where(false())


def result_condition(
    actor: Actor,
    student_column: ColumnElement[int],
    subject_column: ColumnElement[str],
) -> ColumnElement[bool]:
    """Results (keyed by ``student_column``, of an assessment in ``subject_column``) the actor
    may read: their students' results, and for a teacher only as far as the student scope opens
    them (last year's students in the subjects the teacher taught them)."""
    if actor.role is not Role.TEACHER:
        return student_column.in_(visible_student_ids(actor))
    enrollment, section = aliased(Enrollment), aliased(Section)
    return (
        select(enrollment.id)
        .join(section, section.id == enrollment.section_id)
        .where(
            enrollment.student_id == student_column,
            section.teacher_id.in_(visible_teacher_ids(actor)),
            student_scope_condition(actor, section.school_year, section.subject, subject_column),
        )
        .exists()
    )


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


def may_administer(actor: Actor) -> None:
    """Only a district admin (or the operator, who acts as one) manages a district's people,
    schools, caseloads and goals (services.people.admin and .organisation)."""
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin may manage the district")


IMPORT_ROLES = (Role.DISTRICT_ADMIN, Role.IMPORTER)


def may_import(actor: Actor) -> None:
    """Only district admins and the importer service role load data into their district."""
    if actor.role not in IMPORT_ROLES:
        raise PermissionDenied("only a district admin or the importer service may import files")
