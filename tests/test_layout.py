"""The shape of the tree holds: modules a reader can hold in their head, layers that go one way.

README's Architecture section states the rules; these tests keep them true as the code grows.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500
CHECKED = ("mypd_graph", "plugins", "tests", "bench")
GENERATED = (ROOT / "mypd_graph" / "migrations",)


def _python_files() -> Iterator[Path]:
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not any(path.is_relative_to(skip) for skip in GENERATED):
                yield path


def test_no_module_passes_the_line_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in _python_files()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these along their seams (limit {MAX_LINES} lines): {long}"


# --- the import graph of mypd_graph ---------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(module: str, packages: set[str]) -> str:
    return module if module in packages else module.rpartition(".")[0]


def _imports(path: Path, module: str, is_package: bool) -> Iterator[tuple[str, bool]]:
    """(imported module, deferred) for every import: deferred ones run inside a function or only
    for the type checker."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    deferred: set[int] = set()  # inside a function, or under ``if TYPE_CHECKING:``
    for node in ast.walk(tree):
        checking = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if checking or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            deferred.update(id(child) for child in ast.walk(node) if child is not node)
    base = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in deferred
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                anchor = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                source = f"{anchor}.{source}" if source else anchor
            for alias in node.names:
                # ``from package import module`` imports the module; ``from module import name`` the module.
                yield f"{source}.{alias.name}", id(node) in deferred
                yield source, id(node) in deferred


def _graph() -> dict[str, set[str]]:
    """Module -> the mypd_graph modules it imports (GraphQL type back-references excepted).

    The GraphQL type graph is cyclic by nature (a teacher has plans, a plan has a teacher), so the
    schema refers back through ``strawberry.lazy`` (with imports for the type checker) and imports
    inside resolvers; those deferred imports are the only ones left out, and only inside
    ``mypd_graph.schema``.
    """
    files = {_module_name(path): path for path in sorted((ROOT / "mypd_graph").rglob("*.py"))}
    files = {name: path for name, path in files.items() if ".migrations." not in f"{name}."}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for target, deferred in _imports(path, module, path.name == "__init__.py"):
            if target not in files or target == module:
                continue
            if (
                deferred
                and module.startswith("mypd_graph.schema")
                and target.startswith("mypd_graph.schema")
            ):
                continue
            targets.add(target)
        graph[module] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None: an iterative depth-first search."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_module_imports_itself_back() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_no_package_imports_itself_back() -> None:
    graph = _graph()
    packages = {name for name in graph if (ROOT / name.replace(".", "/") / "__init__.py").exists()}
    by_package: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = _package_of(module, packages)
        by_package.setdefault(source, set()).update(
            target
            for target in (_package_of(t, packages) for t in targets)
            if target != source
            # a package's own __init__ is read on the way to its modules: not an edge back
            and not source.startswith(f"{target}.")
        )
    cycle = _cycle(by_package)
    assert cycle is None, "packages import each other: " + " -> ".join(cycle or ())


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("mypd_graph.models", ("mypd_graph.services", "mypd_graph.schema", "mypd_graph.importers")),
        ("mypd_graph.services", ("mypd_graph.schema",)),
        ("mypd_graph.importers", ("mypd_graph.schema",)),
        ("mypd_graph.plugins", ("mypd_graph.services", "mypd_graph.schema")),
    ],
)
def test_layers_go_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.startswith(layer)
        for target in targets
        if target.startswith(forbidden)
    )
    assert not crossing, crossing
