"""The house rules of ARCHITECTURE.md, kept true: which part of the code may import which, no
import circle, and no module grown past the size a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import PROJECT

PACKAGES = ("oerhub", "harvesters")
MAX_LINES = 530  # "no module over ~500 lines"

# A part of the code -> the parts it may import (besides itself). A part is a package of the
# pipeline's stages, or a module of its own at oerhub's top (the shared pieces).
ALLOWED: dict[str, set[str]] = {
    "oerhub.errors": set(),
    "oerhub.models": set(),
    "oerhub.stopping": {"oerhub.errors"},
    "oerhub.bodies": {"oerhub.errors"},
    "oerhub.deadline": set(),
    "oerhub.http": {"oerhub", "oerhub.errors", "oerhub.stopping", "oerhub.bodies",
                    "oerhub.deadline"},
    "oerhub.limits": {"oerhub.errors", "oerhub.http"},
    "oerhub.netguard": {"oerhub.errors"},
    "oerhub.workers": {"oerhub.errors", "oerhub.models"},
    "oerhub.normalize": {"oerhub.models", "oerhub.errors"},
    "oerhub.registry": {"oerhub.errors", "oerhub.http", "oerhub.bodies", "oerhub.normalize",
                        "harvesters"},
    "harvesters": {"oerhub.models", "oerhub.errors", "oerhub.http", "oerhub.normalize",
                   "oerhub.stopping", "oerhub.limits"},
    "oerhub.catalogue": {"oerhub.models", "oerhub.errors", "oerhub.normalize",
                         "oerhub.registry"},
    "oerhub.enrich": {"oerhub.catalogue", "oerhub.models", "oerhub.errors", "oerhub.normalize",
                      "oerhub.registry", "oerhub.http", "oerhub.stopping", "oerhub.workers",
                      "oerhub.limits", "oerhub.deadline", "oerhub.netguard", "harvesters"},
    "oerhub.renormalize": {"oerhub.catalogue", "oerhub.normalize", "oerhub.models"},
    "oerhub.harvest": {"harvesters", "oerhub.catalogue", "oerhub.enrich", "oerhub.normalize",
                       "oerhub.models", "oerhub.errors", "oerhub.http", "oerhub.registry",
                       "oerhub.stopping", "oerhub.workers", "oerhub.limits"},
    "oerhub.publish": {"oerhub.catalogue", "oerhub.enrich", "oerhub.normalize", "oerhub.models",
                       "oerhub.errors", "oerhub.registry", "oerhub"},
    "oerhub.demo": {"oerhub.harvest", "oerhub.publish", "oerhub.catalogue", "oerhub.enrich",
                    "oerhub.normalize", "oerhub.models", "oerhub.errors", "oerhub.registry",
                    "harvesters"},
    "oerhub.cli": {"*"},
    "oerhub": set(),  # oerhub/__init__.py: the version
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            parts = list(path.relative_to(PROJECT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def part_of(module: str) -> str:
    """The part a module belongs to: the longest name in ALLOWED it is or is inside."""
    names = module.split(".")
    for n in range(len(names), 0, -1):
        if ".".join(names[:n]) in ALLOWED:
            return ".".join(names[:n])
    raise AssertionError(f"{module} belongs to no part of ARCHITECTURE.md")


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules that `path` imports at run time (anywhere in it; not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] in PACKAGES:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {}
    for module, path in known.items():
        targets = imports(path, known) - {module}
        # importing a package's submodule runs the package first: that is not a use of it
        edges[module] = {t for t in targets if not module.startswith(t + ".")}
    return edges


def test_each_part_imports_only_what_architecture_md_allows():
    wrong = []
    for module, targets in graph().items():
        part = part_of(module)
        allowed = ALLOWED[part]
        for target in targets:
            other = part_of(target)
            if other != part and "*" not in allowed and other not in allowed:
                wrong.append(f"{module} imports {target} ({part} may not import {other})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circle():
    edges = graph()
    circles = []
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not circles, "\n".join(circles)


def test_no_module_is_too_long_to_read():
    long = {name: len(path.read_text(encoding="utf-8").splitlines())
            for name, path in modules().items()}
    over = {name: lines for name, lines in long.items() if lines > MAX_LINES}
    assert not over, over


def test_architecture_md_names_every_part():
    text = (PROJECT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [part for part in ALLOWED if part != "oerhub" and f"`{part}`" not in text]
    assert not missing, f"ARCHITECTURE.md does not name {missing}"
