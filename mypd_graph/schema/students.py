"""Sections, students and their assessment results (student data: scoped and audited).

Resolvers stay thin: every read goes through a per-request DataLoader over a batch function of
:mod:`mypd_graph.services.students.rosters`, which applies the FERPA scope and writes the audit row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import strawberry

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.people.types import School, Teacher, school_by_id, teacher_by_id
from mypd_graph.schema.relay import (
    Edge,
    Node,
    PageInfo,
    connection,
    count_page,
    decode_id,
    node_loader,
    to_global_id,
)
from mypd_graph.services.common import Page, check_first, decode_cursor
from mypd_graph.services.inputs import check_cycle
from mypd_graph.services.students import rosters as service
from mypd_graph.services.students.rosters import (
    ResultsKey,
    ScoredResult,
    StudentFilter,
    StudentPageKey,
)


@strawberry.type(description="A test students take, e.g. MAP Growth Math.")
class Assessment(Node):
    key: str
    name: str
    subject: str
    vendor: str
    classroom: bool = strawberry.field(
        description="A teacher's classroom assessment (teacher-entered data, counted in needs "
        "only when the district's classroomResultsInNeeds is on), not the district's."
    )

    @classmethod
    def from_row(cls, row: models.Assessment) -> Assessment:
        return cls(
            id=to_global_id("Assessment", row.id),
            key=row.key,
            name=row.name,
            subject=row.subject,
            vendor=row.vendor,
            classroom=row.classroom_teacher_id is not None,
        )


@strawberry.type(description="One student's score on one administration (student data).")
class AssessmentResult(Node):
    assessment: Assessment
    school_year: str
    term: str
    administered_on: date | None
    scale_score: float | None
    achievement_level: int | None
    percentile: int | None

    @classmethod
    def from_scored(cls, row: ScoredResult) -> AssessmentResult:
        result = row.result
        return cls(
            id=to_global_id("AssessmentResult", result.id),
            assessment=Assessment.from_row(row.assessment),
            school_year=result.school_year,
            term=result.term,
            administered_on=result.administered_on,
            scale_score=result.scale_score,
            achievement_level=result.achievement_level,
            percentile=result.percentile,
        )


@strawberry.type(description="A student the viewer has a legitimate educational interest in.")
class Student(Node):
    local_id: str
    first_name: str
    last_name: str
    grade_level: str
    db_id: strawberry.Private[int]
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field(description="Assessment results, oldest first; optionally one subject/year.")
    async def results(
        self, info: Info, subject: str | None = None, school_year: str | None = None
    ) -> list[AssessmentResult]:
        key = ResultsKey(self.db_id, subject or None, school_year or None)
        rows = await info.context.loader(service.results_by_student).load(key)
        return [AssessmentResult.from_scored(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Student) -> Student:
        return cls(
            id=to_global_id("Student", row.id),
            local_id=row.local_id,
            first_name=row.first_name,
            last_name=row.last_name,
            grade_level=row.grade_level,
            db_id=row.id,
            school_id=row.school_id,
        )


@strawberry.input(description="Narrow a list of students; all given filters must match.")
class StudentFilterInput:
    section_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only students enrolled in this section."
    )
    grade_level: str | None = None
    name_contains: str | None = strawberry.field(
        default=None, description="Part of the first or last name, any case."
    )
    school_year: str | None = strawberry.field(
        default=None,
        description=(
            "Only students of sections of this school year (2025-26). When absent, a teacher's "
            "students are counted in the current school year (or, before the teacher has a "
            "section in it, the newest year of their sections); a section's in its own year. "
            "The connection's schoolYear says which."
        ),
    )
    every_year: bool = strawberry.field(
        default=False,
        description=(
            "Every school year the district's student scope opens (the connection's schoolYear "
            "is then null); ignored when schoolYear is given."
        ),
    )

    def to_filter(self) -> StudentFilter:
        section_id = (
            decode_id(self.section_id, "Section", ("where", "sectionId"))
            if self.section_id
            else None
        )
        return StudentFilter(
            section_id=section_id,
            grade_level=self.grade_level or None,
            name_contains=self.name_contains or None,
            school_year=(
                check_cycle(self.school_year, ("where", "schoolYear"))
                if self.school_year is not None
                else None
            ),
        )


@strawberry.type(description="Students, a page at a time; totalCount counts them in schoolYear.")
class StudentConnection:
    edges: list[Edge[Student]]
    page_info: PageInfo
    school_year: str | None = strawberry.field(
        description=(
            "The school year counted (its sections' students): the one asked for, else the "
            "current one (StudentFilterInput.schoolYear says how it is chosen); null: every year "
            "the district's student scope opens (everyYear)."
        )
    )
    _page: strawberry.Private[Page[models.Student]]

    @strawberry.field(description="All matching students, across every page.")
    async def total_count(self, info: Info) -> int:
        return await count_page(info, self._page)

    @strawberry.field
    def nodes(self) -> list[Student]:
        return [edge.node for edge in self.edges]


def student_connection(
    page: Page[models.Student], key: StudentPageKey, year: str | None = None
) -> StudentConnection:
    """The page as a connection that says which school year it counted (issue 14, item 3):
    the filter's, else ``year`` (a section's own)."""
    counted = connection(page, Student.from_row)
    return StudentConnection(
        edges=counted.edges,
        page_info=counted.page_info,
        school_year=key.where.school_year or year,
        _page=page,
    )


def _page_key(
    owner_id: int, where: StudentFilterInput | None, first: int, after: str | None
) -> StudentPageKey:
    """Validate paging arguments up front, so a bad one is a clear error, not a failed batch."""
    check_first(first)
    after_id = decode_cursor(after) if after is not None else None
    return StudentPageKey(owner_id, (where or StudentFilterInput()).to_filter(), first, after_id)


@strawberry.type(description="A class a teacher teaches in one school year.")
class Section(Node):
    name: str
    subject: str
    grade_level: str
    school_year: str
    db_id: strawberry.Private[int]
    school_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher | None:
        return await teacher_by_id(info, self.teacher_id)

    @strawberry.field(description="Students enrolled in the section (student data).")
    async def students(
        self,
        info: Info,
        where: StudentFilterInput | None = None,
        first: int = 25,
        after: str | None = None,
    ) -> StudentConnection:
        key = _page_key(self.db_id, where, first, after)
        page = await info.context.loader(service.student_pages_by_section).load(key)
        every = where is not None and where.every_year and where.school_year is None
        return student_connection(page, key, None if every else self.school_year)

    @classmethod
    def from_row(cls, row: models.Section) -> Section:
        return cls(
            id=to_global_id("Section", row.id),
            name=row.name,
            subject=row.subject,
            grade_level=row.grade_level,
            school_year=row.school_year,
            db_id=row.id,
            school_id=row.school_id,
            teacher_id=row.teacher_id,
        )


async def sections_of_teacher(info: Info, teacher_id: int) -> list[Section]:
    rows = await info.context.loader(service.sections_by_teacher).load(teacher_id)
    return [Section.from_row(row) for row in rows]


async def students_of_teacher(
    info: Info, teacher_id: int, where: StudentFilterInput | None, first: int, after: str | None
) -> StudentConnection:
    """The teacher's students, a keyset page at a time (``first`` at most 100), in the school
    year asked for, else the teacher's current one (one statement for every teacher asked)."""
    key = _page_key(teacher_id, where, first, after)
    if key.where.school_year is None and not (where is not None and where.every_year):
        year = await info.context.loader(service.current_years_by_teacher).load(teacher_id)
        key = replace(key, where=replace(key.where, school_year=year))
    page = await info.context.loader(service.student_pages_by_teacher).load(key)
    return student_connection(page, key)


@node_loader("Section")
async def section_by_id(info: Info, section_id: int) -> Section | None:
    row = await info.context.loader(service.sections_by_ids).load(section_id)
    return Section.from_row(row) if row else None


@node_loader("Student")
async def student_by_id(info: Info, student_id: int) -> Student | None:
    row = await info.context.loader(service.students_by_ids).load(student_id)
    return Student.from_row(row) if row else None


@node_loader("AssessmentResult")
async def result_by_id(info: Info, result_id: int) -> AssessmentResult | None:
    row = await info.context.loader(service.results_by_ids).load(result_id)
    return AssessmentResult.from_scored(row) if row else None


@node_loader("Assessment")
async def assessment_by_id(info: Info, assessment_id: int) -> Assessment | None:
    row = await info.context.loader(service.assessments_by_ids).load(assessment_id)
    return Assessment.from_row(row) if row else None
