"""The shape of the import graph: the project package (historyweb/) is below the app
(timeline/), never above it, and no module imports itself through others.

historyweb/ holds settings and site infrastructure; it may name the app in strings (INSTALLED_APPS,
ROOT_URLCONF, include("timeline.urls")) but never imports it. Every import counts, a function's
own imports too: an import moved into a function to dodge a cycle is still a cycle.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("historyweb", "timeline")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """{module name: (path, is a package)} for every module of the two packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = (path, path.name == "__init__.py")
    return found


def imported(node, name, is_package, known):
    """The modules of `known` that one import statement of module `name` imports."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package, one level up per extra dot
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        # `from package import module` imports that module; `from module import name`, the module.
        targets = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    found = set()
    for target in targets:
        while target and target not in known:  # a module outside the two packages, or a name
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph():
    """{module: the modules of the two packages it imports, anywhere in its code}."""
    known = modules()
    graph = {}
    for name, (path, is_package) in known.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= imported(node, name, is_package, known)
        graph[name] = edges
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_package_never_imports_the_app():
    graph = import_graph()
    upward = {
        name: sorted(t for t in targets if t.split(".")[0] == "timeline")
        for name, targets in graph.items()
        if name.split(".")[0] == "historyweb"
    }
    assert {name: targets for name, targets in upward.items() if targets} == {}


def test_no_module_imports_itself_through_others():
    assert [sorted(cycle) for cycle in cycles(import_graph())] == []


def test_the_graph_sees_every_kind_of_import():
    """The reader of imports itself: absolute, relative, from a package, and inside functions."""
    graph = import_graph()
    assert "historyweb.compression" in graph["historyweb.page_cache"]  # from pkg import module
    assert "historyweb.throttle" in graph["timeline.runner.service"]  # the same, from the app
    assert "timeline.renumbering" in graph["timeline.apps"]  # relative, inside ready()
    assert "timeline.models" in graph["timeline.apps"]  # from .models import names
    assert "historyweb.page_cache" in graph["timeline.views.eras"]  # from module import name
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


MAX_LINES = 400
# The runnable samples' harness is copied into the sandbox alone: it must stay one
# standard-library file. Migrations are generated.
LONG_ALLOWED = {"timeline/runner/harness.py"}


def test_no_module_is_over_400_lines():
    too_long = {}
    for path, _ in modules().values():
        name = path.relative_to(ROOT).as_posix()
        if name in LONG_ALLOWED or "migrations" in path.parts:
            continue
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            too_long[name] = lines
    assert too_long == {}


SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "__pycache__", "mutants"}
TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".toml", ".txt", ".json", ".cfg", ""}


def test_no_file_keeps_a_merge_conflict():
    """A merge resolved by hand must leave none of git's markers behind (one reached the README)."""
    markers = ("<<<<<<< ", ">>>>>>> ", "||||||| ")
    found = []
    for path in ROOT.rglob("*"):
        if SKIPPED_DIRS & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text(errors="replace")
        found += [
            f"{path.relative_to(ROOT)}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if line.startswith(markers) or line == "======="
        ]
    assert found == []
