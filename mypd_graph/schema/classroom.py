"""Teacher-entered classroom data: a teacher uploads their class's results of a test they gave
(GraphQL multipart request); a district admin decides whether such results count in needs.

Rules live in :mod:`mypd_graph.services.imports.classroom`; docs/importing.md shows the template.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.imports import ImportRowError, ImportRun
from mypd_graph.services.errors import PermissionDenied, UserInputError, invalid
from mypd_graph.services.imports import classroom as service
from mypd_graph.services.imports import classroom_rule


@strawberry.input(description="Your class's results of one assessment you gave (a CSV file).")
class UploadClassroomResultsInput:
    file: Upload = strawberry.field(
        description="The template's columns student_id and achievement_level and/or score "
        "(docs/importing.md), or any delimited file described by mapping."
    )
    assessment_name: str = strawberry.field(
        description="e.g. Unit 3 quiz; the same name again adds to the same assessment."
    )
    subject: str = strawberry.field(description="Math, ELA or Science.")
    school_year: str | None = strawberry.field(
        default=None, description="e.g. 2025-26; by default the year of your current sections."
    )
    term: str | None = strawberry.field(
        default=None, description="Fall, Winter or Spring; by default today's season."
    )
    level_count: int = 4
    proficient_level: int = strawberry.field(
        default=3, description="The achievement level from which a result meets standard."
    )
    mapping: JSON | None = strawberry.field(
        default=None,
        description="Fields to the file's headers (student_id, score, achievement_level, date).",
    )


@strawberry.type
class UploadClassroomResultsPayload:
    import_run: ImportRun | None
    row_errors: list[ImportRowError] = strawberry.field(
        description="The rows left out and why (first 500): a student not in your sections, a "
        "value that cannot be read."
    )
    user_errors: list[UserError]


@strawberry.input
class SetClassroomResultsInNeedsInput:
    enabled: bool


@strawberry.type
class SetClassroomResultsInNeedsPayload:
    classroom_results_in_needs: bool | None
    user_errors: list[UserError]


def _mapping(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid(("input", "mapping"), "mapping must be an object of field: header")
    return value


@strawberry.type
class Query:
    @strawberry.field(
        description="Whether your district counts teachers' classroom results in needs and the "
        "students' status (setClassroomResultsInNeeds; off by default)."
    )
    async def classroom_results_in_needs(self, info: Info) -> bool:
        return await info.context.read(classroom_rule.classroom_results_in_needs)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The signed-in teacher uploads their students' results of a classroom "
        "assessment: only students of their sections are taken (others are row errors); the "
        "results are marked as classroom data, show in their growth, and count in needs only "
        "when the district says so. Send it as a GraphQL multipart request."
    )
    async def upload_classroom_results(
        self, info: Info, input: UploadClassroomResultsInput
    ) -> UploadClassroomResultsPayload:
        context = info.context
        upload: Any = input.file
        try:
            run = await service.import_classroom_results(
                context.sessionmaker,
                context.actor,
                context.plugins,
                upload.file,
                upload.filename or "upload.csv",
                service.ClassroomUpload(
                    assessment_name=input.assessment_name,
                    subject=input.subject,
                    school_year=input.school_year,
                    term=input.term,
                    level_count=input.level_count,
                    proficient_level=input.proficient_level,
                    mapping=_mapping(input.mapping),
                ),
            )
        except UserInputError as error:
            errors = [UserError(field=list(p.field), message=p.message, code=p.code)
                      for p in error.problems]  # fmt: skip
            return UploadClassroomResultsPayload(import_run=None, row_errors=[], user_errors=errors)
        except PermissionDenied as error:
            errors = [UserError(field=["input"], message=str(error), code=error.code)]
            return UploadClassroomResultsPayload(import_run=None, row_errors=[], user_errors=errors)
        context.clear_loaders()
        async with context.sessionmaker.begin() as session:
            rows = await service.classroom_row_errors(session, context.actor, run.id)
        return UploadClassroomResultsPayload(
            import_run=ImportRun.from_row(run),
            row_errors=[ImportRowError.from_row(row) for row in rows],
            user_errors=[],
        )

    @strawberry.mutation(
        description="A district admin decides whether teachers' classroom results count in "
        "needs and the students' status (off by default)."
    )
    async def set_classroom_results_in_needs(
        self, info: Info, input: SetClassroomResultsInNeedsInput
    ) -> SetClassroomResultsInNeedsPayload:
        async def work(session: AsyncSession) -> bool:
            return await classroom_rule.set_classroom_results_in_needs(
                session, info.context.actor, input.enabled
            )

        value, errors = await run_mutation(info, work)
        return SetClassroomResultsInNeedsPayload(
            classroom_results_in_needs=value, user_errors=errors
        )
