"""The server's packages depend one way: each imports only the layers below it.

Every import in octopus/ counts, wherever it stands: at the top of a module, inside a
function (a lazy import hides a cycle, it does not remove it) or under TYPE_CHECKING. The
layers and why they are in this order: docs/architecture.md.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

OCTOPUS = Path(__file__).resolve().parents[1] / "octopus"

# Lowest first. A package may import itself and any package of a lower layer.
LAYERS: list[set[str]] = [
    {"lib"},  # helpers that know nothing of Octopus
    {"events"},  # what the domain announces
    {"cluster"},  # leader lease, wake-ups, LISTEN/NOTIFY
    {"accounts"},
    {"workers"},
    {"jobs"},
    {"runs"},  # scheduler, dispatch, lifecycle, monitor
    {"logs"},  # ingest, reading, search, live viewers
    {"alerts"},  # reactions to the domain's announcements
    {"link", "loops"},  # the worker link, the leader's loops
    {"web", "api"},  # HTML pages and the REST API
    {"urls", "asgi", "runner", "settings"},
    {"cli"},
]
LAYER_OF = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def package_of(module: str) -> str | None:
    """`octopus.runs.dispatch` → "runs"; None outside octopus."""
    parts = module.split(".")
    return parts[1] if parts[0] == "octopus" and len(parts) > 1 else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(OCTOPUS.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, relative ones resolved."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]  # the package the module is in
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.append((node.lineno, module))
            # `from octopus import events` imports the module octopus.events.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) package pairs, each with where it happens."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(OCTOPUS.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = package_of(module_name(path))
        for line, module in imported_modules(path):
            target = package_of(module)
            if source and target and target != source:
                edges[(source, target)].append(f"{path.relative_to(OCTOPUS.parent)}:{line}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Each cycle between packages, as the packages on it."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    found: list[list[str]] = []  # (at most a screenful: one is enough to fix)
    seen: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                if frozenset(path) not in seen:
                    seen.add(frozenset(path))
                    found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def test_every_package_has_a_layer() -> None:
    packages = {package_of(module_name(path)) for path in OCTOPUS.rglob("*.py")}
    packages.discard(None)
    assert packages - set(LAYER_OF) == set(), "add the new package to LAYERS"


def test_no_cycle_between_packages() -> None:
    edges = package_edges()
    found = cycles(edges)
    detail = [
        " → ".join(cycle)
        + "  ("
        + "; ".join(edges[(a, b)][0] for a, b in itertools.pairwise(cycle))
        + ")"
        for cycle in found
    ]
    assert not found, "\n".join(detail)


def test_packages_import_only_lower_layers() -> None:
    upward = [
        f"{source} imports {target}: {', '.join(places)}"
        for (source, target), places in sorted(package_edges().items())
        if LAYER_OF.get(target, -1) >= LAYER_OF.get(source, -1)
    ]
    assert not upward, "\n".join(upward)


def _lazy_import_example() -> None:
    from octopus.alerts import rules  # noqa: F401 - read by the test below, never run


def test_the_check_sees_lazy_imports_and_finds_cycles() -> None:
    modules = [module for _, module in imported_modules(Path(__file__))]
    assert "octopus.alerts.rules" in modules
    edges = {("runs", "alerts"): ["x"], ("alerts", "jobs"): ["y"], ("jobs", "runs"): ["z"]}
    assert cycles(edges) == [["alerts", "jobs", "runs", "alerts"]]
