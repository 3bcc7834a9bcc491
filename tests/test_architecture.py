"""The rooms of docs/ARCHITECTURE.md that import-linter cannot express: no import cycle among capx's
modules, function-level imports included, and no function-level import outside cli.py (where
each command imports what it needs, so that ``flask --help`` stays fast).

A module listed in an allowance below is a known exception waiting for its area's conversion;
remove it from the list together with the exception, never add a new one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "capx"

#: Modules allowed to import inside functions: the CLI's commands.
FUNCTION_LEVEL_IMPORTS_ALLOWED = {"capx/cli.py"}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), i.e. every import cycle."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycle() -> None:
    # grimp reads every import statement, also those inside functions (which only hide a cycle).
    graph = grimp.build_graph("capx", exclude_type_checking_imports=True, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b"]]


def _function_level_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines.update(sub.lineno for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom)))
    return sorted(lines)


def test_no_function_level_imports_outside_the_cli() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        if name not in FUNCTION_LEVEL_IMPORTS_ALLOWED and (lines := _function_level_imports(path)):
            found[name] = lines
    assert found == {}, "import at the top of the module (a cycle is not a reason: break it)"


def test_migration_files_sort_in_upgrade_order() -> None:
    """``NNNN_<what>.py``: the files listed by name are the chain from the first revision to the head
    (revision ids are another matter: deployed databases know them, so they never change)."""
    versions = PACKAGE.parent / "migrations" / "versions"
    revisions = {}
    for path in versions.glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "down_revision"):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
        revisions[values["down_revision"]] = (values["revision"], path.name)
    chain, parent = [], None
    while parent in revisions:
        parent, name = revisions[parent]
        chain.append(name)
    assert len(chain) == len(revisions), "one linear chain of revisions"
    assert chain == sorted(chain)
    assert all(name[:4] == f"{i:04d}" for i, name in enumerate(chain, start=1)), chain


#: ``msg('prefix-' ~ value)`` in a template: a message key built at run time, which no search for
#: the key finds. Counted per template; each count is removed by its area's conversion (the
#: labels come from Python, e.g. capx/forms/reports.py's TYPE_LABELS), never raised.
RUNTIME_KEYS_LEFT: dict[str, int] = {}
RUNTIME_KEY_RE = r"""msg(?:_text)?\(\s*['"][A-Za-z0-9-]+['"]\s*~"""


def test_templates_build_no_message_keys() -> None:
    templates = PACKAGE / "templates"
    found = {}
    for path in sorted(templates.rglob("*.html")):
        count = len(re.findall(RUNTIME_KEY_RE, path.read_text(encoding="utf-8")))
        if count:
            found[path.relative_to(templates).as_posix()] = count
    over = {name: n for name, n in found.items() if n > RUNTIME_KEYS_LEFT.get(name, 0)}
    assert over == {}, "pass labels from Python (see capx/forms/reports.py) instead of building keys"
    done = sorted(name for name in RUNTIME_KEYS_LEFT if found.get(name, 0) < RUNTIME_KEYS_LEFT[name])
    assert done == [], "a conversion removed these: lower or delete their allowance"
