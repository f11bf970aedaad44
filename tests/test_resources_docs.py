"""The provider contract is documented member by member, and the shipped catalog says, wherever it
shows, that it is sample data."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

from mypd_graph.plugins.types import ResourceProvider
from mypd_graph.providers.catalog import DEFAULT_CATALOG, shipped_catalog
from mypd_graph.services.resources.providers import PROVIDER_MEMBERS

ROOT = Path(__file__).resolve().parents[1]


def test_every_member_of_a_provider_is_documented_with_an_example() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    required = set(typing.get_type_hints(ResourceProvider)) | {"resources"}
    assert required <= set(PROVIDER_MEMBERS)
    for member in PROVIDER_MEMBERS:
        heading = re.search(rf"^#### `provider\.{member}[`(]", docs, re.MULTILINE)
        assert heading, f"provider.{member} is not documented in docs/plugins.md"
        section = docs[heading.end() :].split("\n#", 1)[0]
        assert "```python" in section, f"provider.{member} has no example"


def test_the_shipped_catalog_says_it_is_sample_data() -> None:
    document = json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    assert document["sample"] is True and document["notice"].startswith("Sample data")
    assert len(document["resources"]) == 52
    # Its links point at the reserved .test domain, which never resolves (RFC 2606).
    assert all(".test/" in entry["url"] for entry in document["resources"])
    provider = shipped_catalog()
    assert provider.sample is True and "Sample" in provider.title
    for page in ("README.md", "docs/resources.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert re.search(r"sample data", text, re.IGNORECASE), f"{page} must say so"
