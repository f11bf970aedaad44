"""Read a CFPackage (CASE 1.0/1.1 JSON) into a tree, defensively.

Real packages vary: URIs come as ``{title, identifier, uri}`` objects or as plain strings, optional
fields are missing, items of other documents ride along (skipped with a note), and children come
ordered by ``sequenceNumber`` or not at all (then by list enumeration and code, naturally). What
cannot be a framework is refused whole with one message: dangling associations, cycles, duplicate
identifiers, items without a statement, an empty tree. A hostile file is bounded: its size (the
caller's limit), its nesting (``json`` raises RecursionError), its counts and its text lengths.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_ITEMS = 20_000
MAX_ASSOCIATIONS = 200_000
MAX_TEXT = 20_000
MAX_DEPTH = 12  # domains → standards → elements → indicators is four
IS_CHILD_OF = "ischildof"


CROSSWALK_TYPES = {name.lower(): name for name in ("exactMatchOf", "isRelatedTo", "replacedBy")}


class CaseError(ValueError):
    """The file cannot be a framework; the message says why, in one sentence."""


@dataclass
class Node:
    """A CFItem placed in the tree."""

    identifier: str
    code: str
    text: str
    item_type: str
    list_enumeration: str
    order: int  # position in the file, the last tie-breaker
    link: str = ""  # identifier of the isChildOf association placing it
    sequence: int | None = None
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Level:
    identifier: str
    label: str
    description: str


@dataclass
class Package:
    identifier: str
    title: str
    uri: str = ""
    version: str = ""
    publisher: str = ""
    creator: str = ""
    adoption_status: str = ""
    description: str = ""
    official_source_url: str = ""
    roots: list[Node] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    rated_items: set[str] = field(default_factory=set)  # what the rubric's criteria point at
    notes: list[str] = field(default_factory=list)
    # (associationType, origin identifier, destination identifier) of the crosswalk types
    # (exactMatchOf, isRelatedTo, replacedBy): written as crosswalk rows by the store
    crosswalk: list[tuple[str, str, str]] = field(default_factory=list)

    def walk(self) -> list[tuple[Node, Node | None, int]]:
        """Every node in document order (pre-order) with its parent and depth (roots: 1)."""
        out: list[tuple[Node, Node | None, int]] = []
        stack: list[tuple[Node, Node | None, int]] = [(n, None, 1) for n in reversed(self.roots)]
        while stack:
            node, parent, depth = stack.pop()
            out.append((node, parent, depth))
            stack.extend((child, node, depth + 1) for child in reversed(node.children))
        return out


def load_json(data: bytes) -> Any:
    """JSON or a CaseError: bytes that are not UTF-8, syntax errors, absurd nesting."""
    try:
        return json.loads(data)
    except RecursionError as error:
        raise CaseError("the file nests too deeply to be a CASE package") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise CaseError(f"the file is not valid JSON: {error}") from error


def _text(obj: dict[str, Any], name: str, where: str, limit: int = MAX_TEXT) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CaseError(f"{where}.{name} must be text, not {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise CaseError(f"{where}.{name} is longer than {limit} characters")
    if "\x00" in value:
        raise CaseError(f"{where}.{name} contains a NUL character")
    return value


def _list(obj: dict[str, Any], name: str, where: str, limit: int) -> list[Any]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseError(f"{where}.{name} must be a list, not {type(value).__name__}")
    if len(value) > limit:
        raise CaseError(f"{where}.{name} has {len(value)} entries; at most {limit} are accepted")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CaseError(f"{where} must be an object, not {type(value).__name__}")
    return value


def _ref(value: Any, where: str) -> tuple[str, str]:
    """(identifier, uri) of a link: a ``{title, identifier, uri}`` object or a plain string."""
    if isinstance(value, str):
        return value.strip(), value.strip()
    if isinstance(value, dict):
        identifier, uri = value.get("identifier"), value.get("uri")
        if isinstance(identifier, str | None) and isinstance(uri, str | None):
            return (identifier or "").strip(), (uri or "").strip()
    raise CaseError(f"{where} must be a URI object or a string")


def _sequence(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CaseError(f"{where}.sequenceNumber must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise CaseError(f"{where}.sequenceNumber must be a whole number, not {value!r}"[:200])


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts 1.2 before 1.10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def parse_package(data: bytes | Any) -> Package:
    """A CFPackage (bytes or decoded JSON) as a :class:`Package`, or a CaseError."""
    root = load_json(data) if isinstance(data, bytes | bytearray) else data
    root = _object(root, "the package")
    if "CFPackage" in root and "CFDocument" not in root:
        root = _object(root["CFPackage"], "CFPackage")
    if "CFDocument" not in root:
        raise CaseError("the file has no CFDocument: it is not a CASE package (CFPackage JSON)")
    document = _object(root["CFDocument"], "CFDocument")
    package = Package(
        identifier=_text(document, "identifier", "CFDocument", 36),
        title=_text(document, "title", "CFDocument", 200),
        uri=_text(document, "uri", "CFDocument", 1000),
        version=_text(document, "version", "CFDocument", 32),
        publisher=_text(document, "publisher", "CFDocument", 200),
        creator=_text(document, "creator", "CFDocument", 200),
        adoption_status=_text(document, "adoptionStatus", "CFDocument", 50),
        description=_text(document, "description", "CFDocument"),
        official_source_url=_text(document, "officialSourceURL", "CFDocument", 500),
    )
    if not package.identifier:
        raise CaseError("CFDocument has no identifier")
    if not package.title:
        raise CaseError("CFDocument has no title")
    nodes, other = _items(root, package)
    _tree(root, package, nodes, other)
    package.levels, package.rated_items = _rubric(root)
    taken = set(nodes) | {node.link for node, _, _ in package.walk()} | {package.identifier}
    for level in package.levels:
        if level.identifier and level.identifier in taken:
            raise CaseError(f"identifier {level.identifier} is used twice in the package")
        taken.add(level.identifier)
    return package


def _items(root: dict[str, Any], package: Package) -> tuple[dict[str, Node], set[str]]:
    nodes: dict[str, Node] = {}
    other: set[str] = set()  # items of other documents: links to them are not dangling
    skipped = 0
    for order, raw in enumerate(_list(root, "CFItems", "the package", MAX_ITEMS)):
        where = f"CFItems[{order}]"
        item = _object(raw, where)
        identifier = _text(item, "identifier", where, 36)
        if not identifier:
            raise CaseError(f"{where} has no identifier")
        where = f"CFItem {identifier}"
        if identifier in nodes or identifier in other or identifier == package.identifier:
            raise CaseError(f"identifier {identifier} is used twice in the package")
        document_id, document_uri = _ref(item.get("CFDocumentURI") or "", f"{where}.CFDocumentURI")
        of_this = package.identifier in (document_id, document_uri.rstrip("/").rsplit("/", 1)[-1])
        if document_id and not of_this and not (package.uri and document_uri == package.uri):
            other.add(identifier)
            skipped += 1
            continue
        text = _text(item, "fullStatement", where)
        if not text:
            raise CaseError(f"{where} has no fullStatement: every item needs a statement")
        item_type = _text(item, "CFItemType", where, 100)
        if not item_type and isinstance(item.get("CFItemTypeURI"), dict):
            item_type = _text(item["CFItemTypeURI"], "title", f"{where}.CFItemTypeURI", 100)
        nodes[identifier] = Node(
            identifier=identifier,
            code=_text(item, "humanCodingScheme", where, 200),
            text=text,
            item_type=item_type,
            list_enumeration=_text(item, "listEnumeration", where, 20),
            order=order,
        )
    if skipped:
        package.notes.append(f"{skipped} item(s) of other documents skipped")
    return nodes, other


def _resolver(package: Package, nodes: dict[str, Node], root: dict[str, Any]) -> dict[str, str]:
    """Every way the package names its document and items (identifier, uri, uri's last segment)."""
    names = {package.identifier: package.identifier}
    if package.uri:
        names[package.uri] = package.identifier
    for raw in root.get("CFItems") or ():
        if isinstance(raw, dict) and isinstance(raw.get("uri"), str):
            identifier = raw.get("identifier")
            if isinstance(identifier, str) and identifier.strip() in nodes:
                names[raw["uri"].strip()] = identifier.strip()
    for identifier in nodes:
        names[identifier] = identifier
    return names


def _tree(root: dict[str, Any], package: Package, nodes: dict[str, Node], other: set[str]) -> None:
    names = _resolver(package, nodes, root)

    def resolve(ref: tuple[str, str]) -> str | None:
        for candidate in (ref[0], ref[1], ref[1].rstrip("/").rsplit("/", 1)[-1]):
            if candidate in names:
                return names[candidate]
        return None

    parents: dict[str, tuple[str, Node]] = {}
    extra_parents = ignored = 0
    seen_links: set[str] = set()
    for index, raw in enumerate(_list(root, "CFAssociations", "the package", MAX_ASSOCIATIONS)):
        where = f"CFAssociations[{index}]"
        association = _object(raw, where)
        kind = _text(association, "associationType", where, 50)
        if kind.lower() != IS_CHILD_OF:
            ignored += 1
            relation = CROSSWALK_TYPES.get(kind.lower())
            if relation is None:
                continue
            origin_ref = _ref(association.get("originNodeURI"), f"{where}.originNodeURI")
            target_ref = _ref(association.get("destinationNodeURI"), f"{where}.destinationNodeURI")
            package.crosswalk.append(
                (
                    relation,
                    resolve(origin_ref) or origin_ref[0],
                    resolve(target_ref) or target_ref[0],
                )
            )
            continue
        link = _text(association, "identifier", where, 36)
        if link:
            if link in seen_links or link in nodes or link == package.identifier:
                raise CaseError(f"identifier {link} is used twice in the package")
            seen_links.add(link)
        origin_ref = _ref(association.get("originNodeURI"), f"{where}.originNodeURI")
        target_ref = _ref(association.get("destinationNodeURI"), f"{where}.destinationNodeURI")
        origin, target = resolve(origin_ref), resolve(target_ref)
        if origin is None and (origin_ref[0] in other or target_ref[0] in other):
            continue  # the tree of another document
        if origin is not None and target is None and target_ref[0] in other:
            raise CaseError(
                f"{nodes[origin].code or origin} is a child of {target_ref[0]}, an item of "
                "another document: a framework is the tree of one document"
            )
        if origin is None or target is None:
            missing = origin_ref if origin is None else target_ref
            raise CaseError(
                f"association {link or index} (isChildOf) points at {missing[0] or missing[1]}, "
                "which the package does not contain"
            )
        if origin == package.identifier:
            raise CaseError(f"association {link or index} makes the document a child")
        node = nodes[origin]
        if origin in parents:
            extra_parents += 1  # a tree keeps each item once: under its first parent
            continue
        node.link = link
        node.sequence = _sequence(association.get("sequenceNumber"), where)
        parents[origin] = (target, node)
    if ignored:
        package.notes.append(
            f"{ignored} association(s) other than isChildOf left out (crosswalks are loaded apart)"
        )
    if extra_parents:
        package.notes.append(
            f"{extra_parents} item(s) listed under a second parent kept under their first"
        )
    _check_cycles(parents, package.identifier, nodes)
    for target, node in parents.values():
        (package.roots if target == package.identifier else nodes[target].children).append(node)
    orphans = len(nodes) - len(package.walk())
    if orphans:
        package.notes.append(f"{orphans} item(s) outside the tree (no isChildOf) left out")
    if not package.roots:
        raise CaseError("the package's tree is empty: no item is a child of the document")

    def key(node: Node) -> tuple[Any, ...]:
        return (
            node.sequence is None,
            node.sequence or 0,
            natural(node.list_enumeration or node.code),
            node.order,
        )

    package.roots.sort(key=key)
    for node in nodes.values():
        node.children.sort(key=key)
    depth = max(d for _, _, d in package.walk())
    if depth > MAX_DEPTH:
        raise CaseError(f"the tree is {depth} levels deep; at most {MAX_DEPTH} are accepted")


def _check_cycles(
    parents: dict[str, tuple[str, Node]], document: str, nodes: dict[str, Node]
) -> None:
    done: set[str] = {document}
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        current = start
        while current not in done:
            if current in on_path:
                loop = path[path.index(current) :] + [current]
                names = " → ".join(nodes[i].code or i for i in loop)
                raise CaseError(f"the isChildOf associations make a cycle: {names}")
            if current not in parents:
                break  # an orphan chain: left out, not a cycle
            path.append(current)
            on_path.add(current)
            current = parents[current][0]
        done.update(path)


def _rubric(root: dict[str, Any]) -> tuple[list[Level], set[str]]:
    """Levels of the first rubric criterion that has any, and the items criteria point at."""
    levels: list[Level] = []
    rated: set[str] = set()
    for r_index, raw in enumerate(_list(root, "CFRubrics", "the package", 100)):
        rubric = _object(raw, f"CFRubrics[{r_index}]")
        criteria = _list(rubric, "CFRubricCriteria", f"CFRubrics[{r_index}]", MAX_ITEMS)
        for c_index, raw_criterion in enumerate(criteria):
            where = f"CFRubrics[{r_index}].CFRubricCriteria[{c_index}]"
            criterion = _object(raw_criterion, where)
            if criterion.get("CFItemURI"):
                rated.add(_ref(criterion["CFItemURI"], f"{where}.CFItemURI")[0])
            if levels:
                continue
            raw_levels = _list(criterion, "CFRubricCriterionLevels", where, 20)
            found = []
            for l_index, raw_level in enumerate(raw_levels):
                level_where = f"{where}.CFRubricCriterionLevels[{l_index}]"
                level = _object(raw_level, level_where)
                quality = _text(level, "quality", level_where, 100)
                description = _text(level, "description", level_where)
                if not quality and not description:
                    raise CaseError(f"{level_where} has neither a quality nor a description")
                position = _sequence(level.get("position"), level_where)
                score = level.get("score")
                score = (
                    score if isinstance(score, int | float) and not isinstance(score, bool) else 0
                )
                found.append(
                    (
                        (position is None, position or 0, score, l_index),
                        Level(
                            identifier=_text(level, "identifier", level_where, 36),
                            label=quality or description[:100],
                            description=description if quality else "",
                        ),
                    )
                )
            levels = [level for _, level in sorted(found, key=lambda pair: pair[0])]
    return levels, rated
