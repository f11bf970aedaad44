"""The plain data that plugins hand to the core.

Plugins build these frozen dataclasses and pass them to the ``register`` callback of a hook; the
core validates each one as it arrives (see :mod:`mypd_graph.plugins.manager`). Nothing here touches
the database, so a plugin can be written and tested without a running service.

Import them from here (``from mypd_graph.plugins.types import FrameworkDefinition``): this module
is the plugin authors' interface. They live, by what they describe, in
:mod:`~mypd_graph.plugins.framework_types` (frameworks and CASE packages),
:mod:`~mypd_graph.plugins.import_types` (importers and their records) and
:mod:`~mypd_graph.plugins.resource_types` (PD resource providers).
"""

from __future__ import annotations

from mypd_graph.plugins.framework_types import (
    KEY_PATTERN,
    CasePackage,
    DefinitionError,
    Element,
    FrameworkDefinition,
    RatingLevel,
    Standard,
)
from mypd_graph.plugins.import_types import (
    RECORD_KINDS,
    AssessmentResultRecord,
    EnrollmentRecord,
    FileRejected,
    ImporterDefinition,
    ImportRecord,
    ImportSource,
    RowError,
    RowSkipped,
    SchoolRecord,
    SectionRecord,
    StaffRecord,
    StudentRecord,
    TeacherRecord,
    TrainingRecordRecord,
)
from mypd_graph.plugins.resource_types import ResourceProvider, ResourceQuery, ResourceRecord

__all__ = [
    "KEY_PATTERN",
    "RECORD_KINDS",
    "AssessmentResultRecord",
    "CasePackage",
    "DefinitionError",
    "Element",
    "EnrollmentRecord",
    "FileRejected",
    "FrameworkDefinition",
    "ImportRecord",
    "ImportSource",
    "ImporterDefinition",
    "RatingLevel",
    "ResourceProvider",
    "ResourceQuery",
    "ResourceRecord",
    "RowError",
    "RowSkipped",
    "SchoolRecord",
    "SectionRecord",
    "StaffRecord",
    "Standard",
    "StudentRecord",
    "TeacherRecord",
    "TrainingRecordRecord",
]
