"""Build the InTASC CASE package this plugin ships (``mypd_graph_intasc/intasc-2013.json``).

``intasc-2013.toml`` beside this script is the maintained source (the official text); the JSON is the artifact the plugin hands to mypd_graph,
as a vendor would ship a publisher's CFPackage. CCSSO publishes no CASE package of InTASC, so
the package is this plugin's transcription of the printed document: identifiers are uuid5 values
derived from the item codes (stable across rebuilds), and dates are fixed, so running this again
reproduces the file byte for byte (tests/test_intasc_plugin.py checks that). The README says what
the wording was checked against.

    python plugins/intasc/build_package.py   # rewrites the JSON next to the plugin's code
"""

from __future__ import annotations

import json
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

OFFICIAL_URL = "https://ccsso.org/sites/default/files/2017-12/2013_INTASC_Learning_Progressions_for_Teachers.pdf"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, OFFICIAL_URL)
CHANGED = "2026-12-03T00:00:00+00:00"
OUTPUT = Path(__file__).resolve().parent / "mypd_graph_intasc" / "intasc-2013.json"

TITLE = "InTASC Model Core Teaching Standards and Learning Progressions for Teachers 1.0"
PUBLISHER = "Council of Chief State School Officers (CCSSO)"
CREATOR = "CCSSO's Interstate Teacher Assessment and Support Consortium (InTASC)"
DESCRIPTION = (
    "The ten InTASC Model Core Teaching Standards in their four groups, each with its "
    "performances, as printed in InTASC Model Core Teaching Standards and Learning Progressions "
    "for Teachers 1.0: A Resource for Ongoing Teacher Development (CCSSO, April 2013); teachers "
    "are rated on the standards at the three levels of development of its learning progressions. "
    "A transcription into CASE by the mypd-graph-intasc plugin; CCSSO publishes no CASE package."
)

SOURCE = Path(__file__).resolve().parent / "intasc-2013.toml"


def load_source() -> dict[str, Any]:
    """The transcription: groups, their standards with performances, and the rating levels."""
    with SOURCE.open("rb") as handle:
        return tomllib.load(handle)


def ident(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(("intasc-2013", *parts))))


def ref(title: str, identifier: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": f"urn:uuid:{identifier}"}


def build() -> dict[str, Any]:
    """The CFPackage as JSON-ready data, in document order."""
    document_id = ident("document")
    document = ref(TITLE, document_id)
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []

    def item(code: str, statement: str, kind: str, parent: dict[str, str], sequence: int,
             short: str = "") -> dict[str, str]:  # fmt: skip
        identifier = ident("item", code)
        entry = {
            "identifier": identifier,
            "uri": f"urn:uuid:{identifier}",
            "fullStatement": statement,
            "humanCodingScheme": code,
            "listEnumeration": str(sequence),
            "CFItemType": kind,
            "CFDocumentURI": document,
            "language": "en",
            "lastChangeDateTime": CHANGED,
        }
        if short:
            entry["abbreviatedStatement"] = short
        items.append(entry)
        node = ref(short or code, identifier)
        link = ident("isChildOf", code)
        associations.append(
            {
                "identifier": link,
                "uri": f"urn:uuid:{link}",
                "associationType": "isChildOf",
                "originNodeURI": node,
                "destinationNodeURI": parent,
                "sequenceNumber": sequence,
                "CFDocumentURI": document,
                "lastChangeDateTime": CHANGED,
            }
        )
        return node

    source = load_source()
    levels = [(level["label"], level["description"]) for level in source["level"]]
    standards: list[tuple[str, dict[str, str]]] = []
    for g, group_source in enumerate(source["group"], start=1):
        title = group_source["title"]
        group = item(group_source["code"], title, "Category", document, g, title)
        for s, entry in enumerate(group_source["standard"], start=1):
            code = entry["code"]
            standard = item(code, entry["statement"], "Standard", group, s, entry["name"])
            standards.append((code, standard))
            for p, (performance_code, text) in enumerate(entry["performances"], start=1):
                item(performance_code, text, "Performance", standard, p)

    rubric_id = ident("rubric")
    criteria = []
    for position, (code, standard) in enumerate(standards, start=1):
        criterion_id = ident("criterion", code)
        criteria.append(
            {
                "identifier": criterion_id,
                "uri": f"urn:uuid:{criterion_id}",
                "category": standard["title"],
                "description": f"Standard #{code}: {standard['title']}",
                "CFItemURI": standard,
                "position": position,
                "rubricId": rubric_id,
                "lastChangeDateTime": CHANGED,
                "CFRubricCriterionLevels": [
                    {
                        "identifier": ident("level", code, str(score)),
                        "uri": f"urn:uuid:{ident('level', code, str(score))}",
                        "quality": quality,
                        "description": description,
                        "score": score,
                        "position": score,
                        "rubricCriterionId": criterion_id,
                        "lastChangeDateTime": CHANGED,
                    }
                    for score, (quality, description) in enumerate(levels, start=1)
                ],
            }
        )
    return {
        "CFDocument": {
            "identifier": document_id,
            "uri": f"urn:uuid:{document_id}",
            "CFPackageURI": document,
            "creator": CREATOR,
            "publisher": PUBLISHER,
            "title": TITLE,
            "version": "2013",
            "officialSourceURL": OFFICIAL_URL,
            "description": DESCRIPTION,
            "subject": ["Teaching"],
            "language": "en",
            "notes": "Released April 2013; the standards were first released in April 2011.",
            "lastChangeDateTime": CHANGED,
        },
        "CFItems": items,
        "CFAssociations": associations,
        "CFRubrics": [
            {
                "identifier": rubric_id,
                "uri": f"urn:uuid:{rubric_id}",
                "title": "InTASC Learning Progressions for Teachers: levels of development",
                "description": "Each standard rated at the three levels of development.",
                "lastChangeDateTime": CHANGED,
                "CFRubricCriteria": criteria,
            }
        ],
    }


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
