"""Reading: the importer's records, checked and staged, a batch at a time.

:meth:`Reader.take` runs in a worker thread while the previous batch is written. It calls the
importer's ``parse`` lazily (so a slow start or a ``FileRejected`` happens off the event loop),
prepares each record (:mod:`mypd_graph.importers.kinds`), and groups the rows by kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mypd_graph.importers.job import Chunk, ImporterBug, ImportJob, Part, ResultExtras
from mypd_graph.importers.kinds import SPECS, assessment_problem
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    ImportSource,
    RowError,
    RowSkipped,
    SectionRecord,
)


class Reader:
    """Pulls records from the importer's parser; :meth:`take` runs in a worker thread."""

    def __init__(self, job: ImportJob, source: ImportSource, batch_size: int) -> None:
        self.job = job
        self.source = source
        self.batch_size = batch_size
        kinds = set(job.definition.record_kinds)
        self.specs = {spec.record_type: spec for spec in SPECS if spec.kind in kinds}
        self.all_specs = {spec.record_type: spec for spec in SPECS}
        self.iterator: Iterator[Any] | None = None
        self.last_row: tuple[str, int] | None = None  # (file, row) of the last item read
        self.good_assessments: set[str] = set()
        self.bad_assessments: dict[str, str] = {}

    def take(self) -> Chunk:
        """The next batch (at most ``batch_size`` items). This loop runs once per row of a file
        of a million rows, so it keeps to local names and plain operations."""
        if self.iterator is None:
            self.iterator = iter(self.job.definition.parse(self.source, self.job.options))
        chunk = Chunk()
        parts, errors, specs = chunk.parts, chunk.errors, self.specs
        last_file, last_row = self.last_row or ("", -1)
        read, limit = 0, self.batch_size
        results = self.specs.get(AssessmentResultRecord)
        sections = self.specs.get(SectionRecord)
        known_assessments = self.good_assessments
        watch_students = self.job.create_students or self.job.attribute_teachers
        part = None
        for taken, item in enumerate(self.iterator, start=1):
            spec = specs.get(type(item))
            if spec is None and type(item) is not RowError and type(item) is not RowSkipped:
                raise self._bug(item)
            if item.row != last_row or item.file != last_file:
                read += 1
                last_file, last_row = item.file, item.row
            if spec is None:
                if type(item) is RowSkipped:
                    reason = str(item.reason)[:500]
                    chunk.skipped[reason] = chunk.skipped.get(reason, 0) + 1
                else:
                    errors.append(item)
            else:
                prepared = spec.prepare(item)
                if type(prepared) is RowError:
                    errors.append(prepared)
                else:
                    if part is None or part.kind != spec.kind:
                        part = parts.get(spec.kind)
                        if part is None:
                            part = parts[spec.kind] = Part(spec.kind, item.file)
                    problem = None
                    if spec is results and (watch_students or prepared[2] not in known_assessments):
                        problem = self._observe_result(item, chunk.extras)
                    if spec is sections and item.replace_enrollments:
                        chunk.extras.complete_sections.add((prepared[1], prepared[2]))
                    if problem is None:
                        part.rows.append(prepared)
                    else:
                        errors.append(RowError(item.row, problem, None, None, item.file))
            if taken >= limit:
                break
        else:
            chunk.exhausted = True
        chunk.rows_read = read
        chunk.layout = getattr(self.source, "layout", "")
        self.last_row = (last_file, last_row)
        return chunk

    def close(self) -> None:
        """Nothing to release (a :class:`~mypd_graph.importers.worker.ProcessReader` has)."""

    def _bug(self, item: Any) -> ImporterBug:
        name = self.job.definition.name
        spec = self.all_specs.get(type(item))
        if spec is not None:
            return ImporterBug(
                f"importer {name!r} yielded a {type(item).__name__} but declares only the record "
                f"kinds {', '.join(self.job.definition.record_kinds)}"
            )
        return ImporterBug(f"importer {name!r} yielded {item!r}, which is not a record or RowError")

    def _observe_result(self, record: AssessmentResultRecord, extras: ResultExtras) -> str | None:
        """Remember the assessment (once per key) and, when asked, the student and teachers."""
        key = record.assessment_key.strip()
        if key not in self.good_assessments:
            problem = self.bad_assessments.get(key)
            if problem is None:
                problem = assessment_problem(record)
            if problem is not None:
                self.bad_assessments[key] = problem
                return problem
            self.good_assessments.add(key)
            extras.assessments[key] = (
                record.assessment_name.strip(),
                record.subject.strip(),
                record.vendor.strip(),
                record.level_count,
                record.proficient_level,
                bool(record.summative),
            )
        job = self.job
        if job.create_students or job.attribute_teachers:
            state_id = (record.student_state_id or "").strip() or None
            local_id = record.student_local_id.strip() or state_id or ""
            code = (record.school_code or "").strip() or None
            first, last = record.student_first_name.strip(), record.student_last_name.strip()
            grade = record.grade_level.strip()
            if (
                job.create_students
                and first
                and last
                and len(first) <= 100
                and len(last) <= 100
                and len(grade) <= 8
            ):
                extras.students.setdefault(local_id, (first, last, grade, code, state_id))
            if job.attribute_teachers:
                for name in record.teacher_names:
                    if name.strip():
                        extras.attributions.add(
                            (
                                local_id,
                                name.strip(),
                                record.school_year.strip(),
                                record.subject.strip(),
                                code,
                            )
                        )
        return None
