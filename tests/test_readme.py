"""The README tour runs as written against the demo district, in order, over HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.demo import load_demo
from mypd_graph.models import User
from tests.conftest import SECRET

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```graphql\n# as: (\S+)\n(.*?)```", re.DOTALL)


def tour() -> list[tuple[str, str]]:
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "the README tour lost its operations"
    return blocks


def plan_ids(value: Any) -> list[str]:
    """IDs of plans anywhere in a response (``plan { id }`` or ``plans { id }``)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "plan" and isinstance(item, dict) and "id" in item:
                found.append(item["id"])
            elif key == "plans" and isinstance(item, list):
                found += [plan["id"] for plan in item if "id" in plan]
            else:
                found += plan_ids(item)
    elif isinstance(value, list):
        for item in value:
            found += plan_ids(item)
    return found


def user_errors(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in (v if k == "userErrors" else user_errors(v))]
    if isinstance(value, list):
        return [e for item in value for e in user_errors(item)]
    return []


async def test_readme_tour_runs_as_written(db, settings, plugins) -> None:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
        users = {user.email: user.id for user in await session.scalars(select(User))}
    app = create_app(settings, plugins=plugins, engine=db.engine)
    plan: str | None = None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        for email, operation in tour():
            token = mint_token(SECRET, users[email], email)
            variables = {"plan": plan} if "$plan" in operation else {}
            response = await http.post(
                "/graphql",
                json={"query": operation, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            body = response.json()
            assert "errors" not in body, (operation, body["errors"])
            assert user_errors(body["data"]) == [], (operation, body["data"])
            ids = plan_ids(body["data"])
            plan = ids[-1] if ids else plan
    assert body["data"]["approvePlan"]["plan"]["status"] == "APPROVED"
