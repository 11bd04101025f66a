"""The engine stands without Dagster, and its modules import each other without circles.

Every module under ``pipelines/`` except the Dagster wiring (:data:`WIRING`) is imported in
a fresh interpreter where ``import dagster`` fails; the import graph of ``pipelines/``
(every ``import`` statement, in functions and ``TYPE_CHECKING`` blocks too) has no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pipelines"
WIRING = frozenset(
    {
        "pipelines.definitions",
        "pipelines.automation",
        "pipelines.resources",
        "pipelines.partitions",
        "pipelines.cli",
        "pipelines.runlog",  # the CLI's Dagster run log (progress, failed steps)
        "pipelines.executors",  # the code location's executor, from the environment
        "pipelines.executor_bench",  # runs demo assets under each executor
    }
)
"""The code location's Dagster wiring: the only modules of pipelines/ that may import dagster."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _engine_modules() -> list[str]:
    return sorted(
        name
        for name in _modules()
        if name not in WIRING and not name.endswith("__main__")
    )


BLOCKER = textwrap.dedent(
    """
    import importlib, sys

    class NoDagster:
        def find_spec(self, name, path=None, target=None):
            if name == "dagster" or name.startswith(("dagster.", "dagster_")):
                raise ImportError(f"engine module imported {name}")
            return None

    sys.meta_path.insert(0, NoDagster())
    failed = []
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
        except ImportError as error:
            failed.append(f"{name}: {error}")
    print("\\n".join(failed))
    sys.exit(1 if failed else 0)
    """
)


def test_engine_modules_import_without_dagster() -> None:
    modules = _engine_modules()
    assert "pipelines.friction.build" in modules and "pipelines.definitions" not in modules
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"modules that need dagster:\n{done.stdout}{done.stderr[-2000:]}"


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that module ``name`` imports (anywhere in its body)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            targets = {f"{source}.{a.name}" for a in node.names} & known
            out |= targets or ({source} & known)
    out.discard(name)
    return out


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_cycle_finder_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_pipelines_has_no_import_cycle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    assert graph["pipelines.friction.build"] >= {"pipelines.friction.layers"}
    assert import_cycles(graph) == []
