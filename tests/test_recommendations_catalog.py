"""The built-in catalog provider: the shipped CSTP catalog, a district's JSON or CSV file from
MYPD_CATALOG_FILE, bad rows skipped with a warning, an unusable file reported as a plugin failure."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.providers import catalog
from mypd_graph.services.resources.library import sync_resources

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_the_shipped_catalog_covers_the_cstp() -> None:
    import mypd_graph_cstp.framework as cstp

    provider = catalog.shipped_catalog()
    records = list(provider.resources())
    assert provider.name == "mypd-cstp-catalog" and len(records) >= 45
    assert len({record.external_id for record in records}) == len(records)
    codes = set(cstp.build_framework().element_codes())
    assert all(set(record.element_codes) <= codes for record in records)
    assert {code for record in records for code in record.element_codes} == codes
    assert {record.format for record in records} == {
        "course",
        "video",
        "workshop",
        "article",
        "coaching-cycle",
    }
    assert all(record.grade_band and record.duration_minutes for record in records)


def test_the_catalog_file_comes_from_the_environment(tmp_path: Path) -> None:
    assert catalog.catalog_path({}) == catalog.DEFAULT_CATALOG
    path = tmp_path / "mine.json"
    assert catalog.catalog_path({"MYPD_CATALOG_FILE": str(path)}) == path


def test_a_json_catalog(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "district.json"
    path.write_text(
        json.dumps(
            {
                "name": "district-pd",
                "title": "District PD",
                "resources": [
                    {
                        "external_id": "d1",
                        "title": "Number talks",
                        "element_codes": ["1.5"],
                        "subjects": ["Math"],
                        "grade_band": "K-5",
                        "duration_minutes": "90",
                    },
                    {"external_id": "d2", "title": "No elements", "element_codes": []},
                    {
                        "external_id": "d3",
                        "title": "Bad minutes",
                        "element_codes": ["1.1"],
                        "duration_minutes": "an hour",
                    },
                    "not an object",
                ],
            }
        ),
        encoding="utf-8",
    )
    provider = catalog.load_catalog(path)
    assert (provider.name, provider.title) == ("district-pd", "District PD")
    with caplog.at_level(logging.WARNING, logger="mypd_graph.providers.catalog"):
        [record] = list(provider.resources())
    assert record.external_id == "d1" and record.framework_key == "cstp-2009"
    assert record.subjects == ("Math",) and record.duration_minutes == 90
    assert len(caplog.records) == 3
    assert "entry 2 skipped: d2: element_codes is empty" in caplog.records[0].getMessage()


def test_a_csv_catalog(tmp_path: Path) -> None:
    path = tmp_path / "district.csv"
    path.write_text(
        "\ufeffexternal_id,title,element_codes,subjects,grade_band,format,duration_minutes\n"
        'c1,"Exit tickets, daily",1.6; 5.2,Math | Science,6-8,article,15\n'
        "c2,Circles,2.1,,K-12,workshop,\n",
        encoding="utf-8",
    )
    provider = catalog.load_catalog(path)
    assert provider.name == "catalog"
    first, second = provider.resources()
    assert first.title == "Exit tickets, daily" and first.element_codes == ("1.6", "5.2")
    assert first.subjects == ("Math", "Science") and first.duration_minutes == 15
    assert second.subjects == () and second.duration_minutes is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "cannot be read"),
        ("broken.json", "{", "not valid JSON"),
        ("list.json", "[]", "must be an object with a 'resources' list"),
        ("columns.csv", "external_id,title\n", "lacks the column(s) element_codes"),
        ("catalog.txt", "", "must end in .json or .csv"),
    ],
)
def test_an_unusable_file_fails_the_plugin_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("MYPD_CATALOG_FILE", str(path))
    plugins = load_plugins(entry_points=False)
    failures = {failure.plugin: failure.reason for failure in plugins.failures}
    assert message in failures["catalog"]
    assert not [c for c in plugins.resource_providers.values() if c.plugin == "catalog"]


async def test_the_shipped_catalog_syncs_idempotently(db: TestDatabase) -> None:
    plugins = load_plugins(entry_points=False)
    expected = len(list(catalog.shipped_catalog().resources()))
    async with db.sessionmaker.begin() as session:
        assert (await sync_resources(session, plugins))["mypd-cstp-catalog"] == expected
    async with db.sessionmaker.begin() as session:
        assert (await sync_resources(session, plugins))["mypd-cstp-catalog"] == 0
        count = await session.scalar(select(func.count()).select_from(models.Resource))
    assert count == expected
