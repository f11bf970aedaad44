"""The demo district (``mypd-graph demo load``): fixed seed tables and one module per group of tables it writes.

May import models, the plugin manager, the built-in catalog provider and the resources and students services; only the CLI and tests import it.
"""

from mypd_graph.demo.basics import (
    DEMO_ADMIN_EMAIL,
    DEMO_COACH_EMAIL,
    DEMO_IMPORTER_EMAIL,
    DEMO_PRINCIPAL_EMAIL,
    DEMO_TEACHER_EMAIL,
    GRADES,
)
from mypd_graph.demo.load import database_is_empty, load_demo

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_COACH_EMAIL",
    "DEMO_IMPORTER_EMAIL",
    "DEMO_PRINCIPAL_EMAIL",
    "DEMO_TEACHER_EMAIL",
    "GRADES",
    "database_is_empty",
    "load_demo",
]
