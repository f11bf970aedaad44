"""Which level of a CASE tree is rated, and a code for every node.

A teaching framework is a tree of any depth (domains → standards → indicators is common); mypd
rates one level of it: the elements teachers choose, rate and grow in. Who chooses, first match:
``--rated-level`` (a level number, 1 = the top, or a CFItemType such as ``Element``); the file,
when its rubric's criteria point at items (``CFItemURI``): those items; else the leaves, when they
are all at one level. Rated items need a parent (a standard), none may sit under another, and every
branch above the rated level must reach it. Nodes below it (indicators) stay in the tree under
their element, unrated.
"""

from __future__ import annotations

from collections import Counter

from mypd_graph.case.parse import CaseError, Node, Package

MAX_CODE = 32


def choose_rated(package: Package, rated_level: str | None) -> tuple[set[str], str]:
    """Identifiers of the rated nodes and a phrase saying how they were chosen."""
    walk = package.walk()
    depth = {node.identifier: d for node, _, d in walk}
    types = sorted({node.item_type for node, _, _ in walk if node.item_type})
    if rated_level:
        choice = rated_level.strip()
        if choice.isdigit():
            rated = {node.identifier for node, _, d in walk if d == int(choice)}
            how = f"level {choice} (--rated-level)"
        else:
            rated = {n.identifier for n, _, _ in walk if n.item_type.lower() == choice.lower()}
            how = f"items of type {choice} (--rated-level)"
        if not rated:
            raise CaseError(
                f"no item is at the rated level {choice!r}: give a level number "
                f"(1 to {max(depth.values())}) or an item type ({', '.join(types) or 'none'})"
            )
    elif package.rated_items & depth.keys():
        rated = package.rated_items & depth.keys()
        how = "the items the package's rubric criteria name"
    else:
        leaves = {d for node, _, d in walk if not node.children}
        if len(leaves) != 1:
            raise CaseError(
                f"the tree's leaves are at levels {', '.join(map(str, sorted(leaves)))}: choose "
                "the rated level with --rated-level (a level number, 1 = the top, or an item "
                f"type: {', '.join(types) or 'the items have none'})"
            )
        level = leaves.pop()
        rated = {node.identifier for node, _, d in walk if d == level}
        how = f"the leaves (level {level})"
    _check(package, rated, how)
    return rated, how


def _check(package: Package, rated: set[str], how: str) -> None:
    def name(node: Node) -> str:
        return node.code or node.identifier

    for root in package.roots:
        if root.identifier in rated:
            raise CaseError(
                f"{name(root)} is at the top of the tree and cannot be rated ({how}): rated "
                "items need a standard above them; choose a deeper --rated-level"
            )
    above_rated: dict[str, bool] = {}  # whether a node has a rated ancestor
    for node, parent, _ in package.walk():
        above_rated[node.identifier] = parent is not None and (
            parent.identifier in rated or above_rated[parent.identifier]
        )
        in_rated = node.identifier in rated
        if in_rated and above_rated[node.identifier]:
            raise CaseError(f"{name(node)} is rated and so is an item above it ({how})")
        if not in_rated and not above_rated[node.identifier] and not _reaches(node, rated):
            raise CaseError(
                f"{name(node)} has no items at the rated level ({how}); "
                "choose another --rated-level"
            )


def _reaches(node: Node, rated: set[str]) -> bool:
    stack = list(node.children)
    while stack:
        current = stack.pop()
        if current.identifier in rated:
            return True
        stack.extend(current.children)
    return False


def assign_codes(package: Package) -> None:
    """Items without ``humanCodingScheme`` get one from their place (``2.3``: the third child of
    the second root); codes must be unique and fit the column."""
    generated = 0

    def visit(nodes: list[Node], prefix: str) -> None:
        nonlocal generated
        for position, node in enumerate(nodes, start=1):
            if not node.code:
                node.code = f"{prefix}{position}"
                generated += 1
            visit(node.children, f"{node.code}.")

    visit(package.roots, "")
    counts = Counter(node.code for node, _, _ in package.walk())
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        raise CaseError(f"two items share the code {duplicates[0]}: codes must be unique")
    for node, _, _ in package.walk():
        if len(node.code) > MAX_CODE:
            raise CaseError(f"code {node.code[:60]} is longer than {MAX_CODE} characters")
    if generated:
        package.notes.append(
            f"{generated} item(s) without humanCodingScheme numbered by their place in the tree"
        )
