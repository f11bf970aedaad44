"""Any framework as CASE JSON: the whole CFPackage, or one document, item, association or rubric.

Shapes follow the CASE 1.0 JSON binding (CFPckgDocument, CFPckgItem, CFPckgAssociation, CFRubric),
so the package imports back (mypd_graph.case.parse) into the same tree, codes, texts, order and
levels. The rating scale is one rubric criterion with one level per rating level; when the rated
items are not simply the leaves of the tree, further criteria name them (``CFItemURI``), which is
how the importer learns the rated level from the file. URIs are ``{base}/CFItems/{id}`` when
served (``base`` ends in ``/ims/case/v1p0``), ``urn:uuid:{id}`` in a file exported offline.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, RatingLevel, Standard
from mypd_graph.services.frameworks import identity

JSON = dict[str, Any]


@dataclass(frozen=True)
class Links:
    base: str = ""

    def uri(self, kind: str, identifier: str) -> str:
        return f"{self.base}/{kind}/{identifier}" if self.base else f"urn:uuid:{identifier}"

    def link(self, kind: str, identifier: str, title: str) -> JSON:
        return {"title": title, "identifier": identifier, "uri": self.uri(kind, identifier)}


def _when(framework: Framework) -> str:
    return framework.synced_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _fid(framework: Framework) -> str:
    return framework.identifier or identity.framework_id(framework.key)


def document_json(framework: Framework, links: Links) -> JSON:
    identifier = _fid(framework)
    document: JSON = {
        "identifier": identifier,
        "uri": links.uri("CFDocuments", identifier),
        "creator": framework.publisher or framework.jurisdiction or "mypd_graph",
        "title": framework.name,
        "lastChangeDateTime": _when(framework),
        "publisher": framework.publisher or framework.jurisdiction,
        "description": framework.description,
        "version": framework.version,
        "adoptionStatus": framework.adoption_status or "Adopted",
        "language": "en",
        "CFPackageURI": links.link("CFPackages", identifier, framework.name),
    }
    if framework.source_url.startswith(("http://", "https://")):
        document["officialSourceURL"] = framework.source_url
    return {name: value for name, value in document.items() if value != ""}


def _item_type(row: Standard) -> str:
    return row.item_type or ("Element" if row.is_element else "Standard")


def item_json(row: Standard, framework: Framework, links: Links) -> JSON:
    item: JSON = {
        "identifier": row.identifier,
        "uri": links.uri("CFItems", str(row.identifier)),
        "fullStatement": row.text,
        "humanCodingScheme": row.code,
        "listEnumeration": row.list_enumeration,
        "CFItemType": _item_type(row),
        "CFItemTypeURI": links.link("CFItemTypes", _type_id(_item_type(row)), _item_type(row)),
        "CFDocumentURI": links.link("CFDocuments", _fid(framework), framework.name),
        "language": "en",
        "lastChangeDateTime": _when(framework),
    }
    return {name: value for name, value in item.items() if value != ""}


def _type_id(title: str) -> str:
    return str(uuid.uuid5(identity.NAMESPACE, f"item-type:{title}"))


def association_json(
    row: Standard, parent: Standard | None, sequence: int, framework: Framework, links: Links
) -> JSON:
    identifier = str(row.association_identifier)
    destination = (
        links.link("CFItems", str(parent.identifier), parent.code)
        if parent is not None
        else links.link("CFDocuments", _fid(framework), framework.name)
    )
    return {
        "identifier": identifier,
        "uri": links.uri("CFAssociations", identifier),
        "associationType": "isChildOf",
        "sequenceNumber": sequence,
        "originNodeURI": links.link("CFItems", str(row.identifier), row.code),
        "destinationNodeURI": destination,
        "CFDocumentURI": links.link("CFDocuments", _fid(framework), framework.name),
        "lastChangeDateTime": _when(framework),
    }


def rubric_json(
    framework: Framework, levels: list[RatingLevel], rated: list[Standard], links: Links
) -> JSON:
    """The rating scale as a rubric; ``rated`` (may be empty) become criteria naming items."""
    rubric_id = identity.rubric_id(_fid(framework))
    criterion_id = identity.criterion_id(_fid(framework))
    when = _when(framework)
    criteria: list[JSON] = [
        {
            "identifier": criterion_id,
            "uri": links.uri("CFRubricCriteria", criterion_id),
            "category": "Rating scale",
            "description": f"The rating levels of {framework.name}, lowest first.",
            "position": 1,
            "weight": 1,
            "rubricId": rubric_id,
            "lastChangeDateTime": when,
            "CFRubricCriterionLevels": [
                {
                    "identifier": level.identifier,
                    "uri": links.uri("CFRubricCriterionLevels", str(level.identifier)),
                    "quality": level.label,
                    "description": level.description,
                    "score": level.position,
                    "position": level.position,
                    "rubricCriterionId": criterion_id,
                    "lastChangeDateTime": when,
                }
                for level in levels
            ],
        }
    ]
    for position, row in enumerate(rated, start=2):
        identifier = str(uuid.uuid5(identity.NAMESPACE, f"{rubric_id}:{row.identifier}"))
        criteria.append(
            {
                "identifier": identifier,
                "uri": links.uri("CFRubricCriteria", identifier),
                "category": row.code,
                "description": "Rated on the rating scale.",
                "CFItemURI": links.link("CFItems", str(row.identifier), row.code),
                "position": position,
                "weight": 1,
                "rubricId": rubric_id,
                "lastChangeDateTime": when,
            }
        )
    return {
        "identifier": rubric_id,
        "uri": links.uri("CFRubrics", rubric_id),
        "title": f"{framework.name}: rating scale",
        "description": f"How teachers are rated on the elements of {framework.name}.",
        "lastChangeDateTime": when,
        "CFRubricCriteria": criteria,
    }


async def tree_rows(session: AsyncSession, framework_id: int) -> list[Standard]:
    """The current (not retired) nodes, parents before children, siblings in order."""
    rows = list(
        await session.scalars(
            select(Standard)
            .where(Standard.framework_id == framework_id, Standard.retired.is_(False))
            .order_by(Standard.position, Standard.id)
        )
    )
    children: dict[int | None, list[Standard]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[Standard] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.get(row.id, [])))
    return ordered


def _rated_are_leaves(rows: list[Standard]) -> bool:
    """Whether the importer's default (the leaves, all at one level) finds the rated items."""
    parents = {row.parent_id for row in rows}
    depth: dict[int, int] = {}
    for row in rows:  # parents come first
        depth[row.id] = depth[row.parent_id] + 1 if row.parent_id in depth else 1
    leaf_depths = {depth[row.id] for row in rows if row.id not in parents}
    if len(leaf_depths) != 1:
        return False
    level = leaf_depths.pop()
    return {row.id for row in rows if depth[row.id] == level} == {
        row.id for row in rows if row.is_element
    }


async def levels_of(session: AsyncSession, framework_id: int) -> list[RatingLevel]:
    return list(
        await session.scalars(
            select(RatingLevel)
            .where(RatingLevel.framework_id == framework_id)
            .order_by(RatingLevel.position)
        )
    )


async def framework_rubric(
    session: AsyncSession, framework: Framework, links: Links, rows: list[Standard] | None = None
) -> JSON:
    """The framework's rating scale as a CFRubric (``rows``: its tree, when already loaded)."""
    rows = await tree_rows(session, framework.id) if rows is None else rows
    rated = [] if _rated_are_leaves(rows) else [row for row in rows if row.is_element]
    return rubric_json(framework, await levels_of(session, framework.id), rated, links)


async def package_json(session: AsyncSession, framework: Framework, links: Links) -> JSON:
    """The framework as a CFPackage."""
    rows = await tree_rows(session, framework.id)
    by_id = {row.id: row for row in rows}
    sequence: dict[int, int] = {}
    counters: dict[int | None, int] = {}
    for row in rows:
        counters[row.parent_id] = counters.get(row.parent_id, 0) + 1
        sequence[row.id] = counters[row.parent_id]
    types = sorted({_item_type(row) for row in rows})
    when = _when(framework)
    return {
        "CFDocument": document_json(framework, links),
        "CFItems": [item_json(row, framework, links) for row in rows],
        "CFAssociations": [
            association_json(
                row,
                by_id.get(row.parent_id) if row.parent_id else None,
                sequence[row.id],
                framework,
                links,
            )
            for row in rows
        ],
        "CFDefinitions": {
            "CFItemTypes": [
                {
                    "identifier": _type_id(title),
                    "uri": links.uri("CFItemTypes", _type_id(title)),
                    "title": title,
                    "description": title,
                    "hierarchyCode": title,
                    "lastChangeDateTime": when,
                }
                for title in types
            ]
        },
        "CFRubrics": [await framework_rubric(session, framework, links, rows)],
    }
