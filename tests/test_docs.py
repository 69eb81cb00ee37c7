"""Docs that cannot drift: every Python example runs, every layer imports one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nocontact.cli import main

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = [
    pytest.param(block, id=f"{doc.name}:{n}")
    for doc in DOCS
    for n, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S))
]


@pytest.mark.parametrize("code", EXAMPLES)
def test_python_examples_run(code: str) -> None:
    """Every ```python block in the README and docs runs as written."""
    exec(compile(code, "example", "exec"), {})


SRC = ROOT / "src" / "nocontact"
#: Each layer may import only from the layers listed for it.
ALLOWED = {
    "__init__": set(),
    "core": {"core"},
    "store": {"core", "store"},
    "engine_lists": {"core", "store"},
    "engine_interop": {"core", "store", "engine_lists"},
    "engine": {"core", "store", "engine", "engine_lists", "engine_interop"},
    "interop": {"core", "store", "engine", "engine_lists", "interop"},
    "docgen": {"core"},
    "service": {"core", "store", "engine", "engine_lists", "interop", "telephony", "service"},
    # The web app talks to the engine's public API; the dispatcher composes it with service.
    # Its content store writes plain SQL through the store's seam (test_gateway_rule keeps
    # every other web module off the store).
    "web": {"core", "store", "engine", "web", "service"},
    "client": {"core", "service"},
    "cli": {
        "core",
        "store",
        "engine",
        "telephony",
        "service",
        "client",
        "bench",
        "web",
        "cli_interop",
    },
    "cli_interop": {"core", "engine", "engine_lists", "interop", "service", "client"},
    "bench": {"core", "store", "engine", "telephony", "service", "bench"},
    "telephony": {"core", "store", "engine", "telephony"},
    # The companion sits on the web app; ``companion.serve`` composes both for ``serve``.
    "companion": {"core", "engine", "service", "web", "companion"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(path: Path) -> None:
    """core imports nothing above it; store never imports the engine or the CLI."""
    layer = _layer(path)
    assert layer in ALLOWED, f"{layer} has no place in the layers: add it to ALLOWED"
    package = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join((*base, node.module or ""))
            else:
                module = node.module or ""
        elif isinstance(node, ast.Import):
            module = node.names[0].name
        else:
            continue
        parts = module.split(".")
        if parts[0] == "nocontact" and len(parts) > 1 and parts[1]:
            assert parts[1] in ALLOWED[layer], f"{layer} imports {module}"


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Each package module and the package modules it imports (anywhere in its body)."""
    modules = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
                if not node.level:
                    module = node.module or ""
                subs = {f"{module}.{a.name}" for a in node.names} & modules.keys()
                found |= subs or ({module} & modules.keys())
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names} & modules.keys()
        graph[name] = found - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return found


def test_item16_no_import_cycles() -> None:
    """No two modules of the package import each other, directly or through others
    (imports inside functions count: a cycle there is still a tangle)."""
    assert _cycles(_import_graph()) == []


def test_item16_the_cycle_finder_finds_cycles() -> None:
    """The cycle check itself sees a cycle when there is one."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_item16_benchmarks_live_in_bench() -> None:
    """The HTTP benchmark is a benchmark: it lives in bench/, not in the service."""
    assert not (SRC / "service" / "bench_http.py").exists()
    assert (SRC / "bench" / "http.py").exists()


def test_core_imports_no_io_libraries() -> None:
    """The pure core does no I/O: no sqlite, sockets, files or clocks imported."""
    banned = {"sqlite3", "socket", "os", "pathlib", "time", "platformdirs", "psycopg", "redis"}
    # compiled.py reads one switch from the environment (NOCONTACT_PURE_PYTHON), no more.
    allowed = {"compiled.py": {"os"}}
    for path in (SRC / "core").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [(node.module or "").split(".")[0]]
            assert not (banned - allowed.get(path.name, set())) & set(names), (
                f"{path.name} imports {names}"
            )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["person"],
        ["person", "add"],
        ["boundary", "add"],
        ["boundary", "lift"],
        ["decide"],
        ["list"],
        ["import"],
        ["export"],
    ],
)
def test_help_teaches_with_examples(command: list[str]) -> None:
    """Every main command's --help answers and shows what to type."""
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    if command in ([], ["person", "add"], ["boundary", "add"], ["decide"], ["list"], ["import"]):
        assert "nocontact " in result.output.split("Usage:")[1]


def test_the_citus_table_is_the_distribution_map() -> None:
    """docs/operations.md lists each table with the column that distributes it in code."""
    from nocontact.store.distribution import DISTRIBUTION

    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("### Citus: distributing by owner")[1].split("\n## ")[0]
    documented: dict[str, str | None] = {}
    for tables, column in re.findall(r"^\| (`.+?) \| (`\w+`|not distributed) \|", section, re.M):
        for table in re.findall(r"`(\w+)`", tables):
            documented[table] = column.strip("`") if column.startswith("`") else None
    assert documented == dict(DISTRIBUTION)
