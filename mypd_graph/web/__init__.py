"""The web app at /app: server-rendered pages for teachers (and, to come, coaches, principals
and admins), built on the GraphQL schema as its first client. docs/web-app.md describes it.

It sits beside the schema: it runs the schema's operations and reads, before sign-in, the few
rows sign-in needs; nothing below the schema imports it.
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Mount, Route

import mypd_graph.web.admin_pages as admin_pages
import mypd_graph.web.evidence_pages as evidence_pages
import mypd_graph.web.framework_pages as framework_pages
import mypd_graph.web.growth_pages as growth_pages
import mypd_graph.web.import_pages as import_pages
import mypd_graph.web.login as login
import mypd_graph.web.pages as pages
import mypd_graph.web.plan_pages as plan_pages
import mypd_graph.web.supervisor_pages as supervisor_pages
import mypd_graph.web.teacher_pages as teacher_pages
import mypd_graph.web.users_pages as users_pages
from mypd_graph import oidc
from mypd_graph.db import SessionMaker
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings
from mypd_graph.web.body_limit import BodyLimit
from mypd_graph.web.core import Web
from mypd_graph.web.session import with_sessions


def mount(
    schema: strawberry.Schema,
    settings: Settings,
    sessionmaker: SessionMaker,
    plugins: PluginSet,
    keys: oidc.KeyCache,
    job_queue: Any = None,
) -> Mount:
    """``/app``, behind its session cookie (which no other path of the service reads). ``keys`` is
    the process's cache of identity providers' keys, shared with /graphql's guard; ``job_queue``
    the app's queue of durable jobs (None: in-process), which importFile reads from the app the
    request reached, as it does on /graphql."""
    app = Starlette(
        routes=[
            Route("/", pages.home),
            Route("/teachers", supervisor_pages.my_teachers),
            Route("/teachers/{id}", supervisor_pages.teacher_page, methods=["GET", "POST"]),
            Route("/teachers/{id}/observe", supervisor_pages.observe, methods=["GET", "POST"]),
            Route("/self-assessment", pages.self_assessment, methods=["GET", "POST"]),
            Route("/plan", plan_pages.plan_page, methods=["GET", "POST"]),
            Route("/growth", growth_pages.my_growth),
            Route("/evidence", evidence_pages.evidence, methods=["GET", "POST"]),
            Route("/students", teacher_pages.my_students),
            Route("/sharing", teacher_pages.sharing, methods=["GET", "POST"]),
            Route("/teachers/{id}/growth", growth_pages.teacher_growth),
            Route("/district", admin_pages.district_views),
            Route("/audit", admin_pages.audit_trail),
            Route("/users", users_pages.users, methods=["GET", "POST"]),
            Route("/framework", framework_pages.framework, methods=["GET", "POST"]),
            Route("/imports", import_pages.imports, methods=["GET", "POST"]),
            Route("/imports/{id}", import_pages.import_run),
            Route("/login", login.login_page),
            Route("/login/dev", login.dev_sign_in, methods=["POST"]),
            Route("/callback", login.callback),
            Route("/logout", login.logout, methods=["POST"]),
        ],
        exception_handlers={404: pages.not_found_page, 405: pages.not_found_page},
    )
    app.state.web = Web(schema, settings, sessionmaker, plugins, keys)
    app.state.job_queue = job_queue
    return Mount("/app", app=BodyLimit(with_sessions(app, settings), settings.max_upload_bytes))
