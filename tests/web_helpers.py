"""Helpers for the web app's HTTP tests: a client that keeps cookies (as a browser does), the
CSRF token of a page, development sign-in, and the demo district loaded into a test database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape
from typing import TYPE_CHECKING

import httpx

from mypd_graph.app import create_app
from mypd_graph.demo import load_demo
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ELENA = "elena.ramirez@demo.mypd.test"
DAVID = "david.chen@demo.mypd.test"  # Elena's coach
ROBERT = "robert.nakamura@demo.mypd.test"  # Elena's principal
ADMIN = "admin@demo.mypd.test"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@asynccontextmanager
async def web_client(
    db: TestDatabase, settings: Settings, plugins: PluginSet, base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP semantics; redirects are not followed, so tests see them."""
    app = create_app(settings, plugins=plugins, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
        yield http


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return unescape(found[1])


async def dev_sign_in(http: httpx.AsyncClient, email: str, next_page: str = "") -> httpx.Response:
    """Sign in the way a developer clicks a listed account: the page's form, with its token."""
    page = await http.get("/app/login")
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page.text), "email": email, "next": next_page}
    return await http.post("/app/login/dev", data=form)


async def load_demo_district(db: TestDatabase) -> dict[str, int]:
    """The demo district in the test database; user ids by email."""
    from sqlalchemy import select

    from mypd_graph.models import User

    async with db.sessionmaker.begin() as session:
        await load_demo(session)
        return {user.email: user.id for user in await session.scalars(select(User))}


def text_of(html: str) -> str:
    """The page's words, tags removed and spaces collapsed, for asserting on what it says."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()


def map_scores_file(students: list[dict[str, str]], min_bytes: int) -> bytes:
    """An NWEA MAP results export (the layout csv-scores recognises by its header) for
    ``students`` (localId, firstName, lastName, gradeLevel): a Mathematics and a Reading result
    per student and term (fall, winter, spring), school years back from 2025-26, until the file
    is at least ``min_bytes`` long (one result per student, test and term, as MAP has it)."""
    header = (
        "TermName,DistrictName,SchoolName,StudentLastName,StudentFirstName,StudentID,Grade,"
        "Subject,Course,TestType,TestName,TestStartDate,TestRITScore,TestStandardError,"
        "TestPercentile\n"
    )
    tests = (
        ("Mathematics", "Math 6+", "Growth: Math 6+ CCSS 2010 V2"),
        ("Language Arts", "Reading", "Growth: Reading 6+ CCSS 2010 V4"),
    )
    lines, size, start = [header], len(header), 2025
    while size < min_bytes:
        year = f"{start}-{start + 1}"
        for term, when in (
            ("Fall", f"09/15/{start}"),
            ("Winter", f"01/15/{start + 1}"),
            ("Spring", f"05/01/{start + 1}"),
        ):
            for subject, course, test in tests:
                for n, student in enumerate(students):
                    line = (
                        f"{term} {year},Demo Unified,Demo School,{student['lastName']},"
                        f"{student['firstName']},{student['localId']},{student['gradeLevel']},"
                        f"{subject},{course},Survey With Goals,{test},{when},"
                        f"{200 + (n + start) % 30},3.1,{(n * 7 + start) % 99 + 1}\n"
                    )
                    lines.append(line)
                    size += len(line)
        start -= 1
    return "".join(lines).encode()
