"""Two wings: the engine (``pipelines/``) stands without Dagster, Dagster lives in ``assets/``.

Every module under ``pipelines/`` (no exemption) is imported in a fresh interpreter where
``import dagster`` and ``import assets`` fail, and no import statement of the engine (in functions
and ``TYPE_CHECKING`` blocks too) names ``dagster``, ``assets`` or ``benchmarks``; the other way,
every Dagster definition module is under ``assets/`` (no module of ``pipelines/`` or
``tests/``' fixtures defines an asset), and the import graph of the project has no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pipelines"


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
        if not name.endswith("__main__")
    )


BLOCKER = textwrap.dedent(
    """
    import importlib, sys

    class NoDagster:
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if top in ("dagster", "assets", "benchmarks") or top.startswith("dagster_"):
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
    assert "pipelines.friction.build" in modules and "assets.definitions" not in modules
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


def _static_imports(path: Path) -> set[str]:
    """Top-level names of every module that ``path`` imports absolutely (anywhere in its body)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


def _wing_files(wing: str) -> list[Path]:
    return sorted((ROOT / wing).rglob("*.py"))


def test_engine_names_neither_dagster_nor_assets_nor_benchmarks() -> None:
    offenders = []
    for path in _wing_files("pipelines"):
        for name in _static_imports(path):
            top = name.split(".")[0]
            if top in ("dagster", "assets", "benchmarks") or top.startswith("dagster_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_engine_never_imports_the_demo_generator() -> None:
    """The demo generator is engine-side but nothing else of the engine depends on it."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _wing_files("pipelines")
        if "demo" not in path.relative_to(PACKAGE).parts
        for name in _static_imports(path)
        if name == "pipelines.demo" or name.startswith("pipelines.demo.")
    ]
    assert offenders == []


def test_dagster_lives_in_assets_only() -> None:
    """The other way: outside ``assets/``, only the benchmarks that time Dagster runs import it."""
    wings = {wing: _wing_files(wing) for wing in ("pipelines", "assets", "benchmarks")}
    users = {
        wing: sorted(
            str(p.relative_to(ROOT))
            for p in files
            if any(n.split(".")[0] == "dagster" for n in _static_imports(p))
        )
        for wing, files in wings.items()
    }
    assert users["pipelines"] == []
    assert "assets/definitions.py" in users["assets"] and "assets/cli.py" in users["assets"]
    # every benchmark that uses Dagster goes through the code location of assets/
    for name in users["benchmarks"]:
        assert any(n.startswith("assets") for n in _static_imports(ROOT / name)), name


def test_project_has_no_import_cycle() -> None:
    modules = {
        _module_name(p): p for wing in ("pipelines", "assets", "benchmarks") for p in _wing_files(wing)
    }
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    assert graph["assets.definitions"] >= {"assets.bronze"}
    assert import_cycles(graph) == []


def test_no_function_in_assets_is_over_40_lines():
    """The asset wing stays thin: declare, call the engine, write (decorators not counted)."""
    long = []
    for path in _wing_files("assets"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 40:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert long == []
