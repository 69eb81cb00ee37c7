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
    "core": {"core"},
    "store": {"core", "store"},
    "engine_lists": {"core", "store"},
    "engine_interop": {"core", "store", "engine_lists", "engine"},
    "engine": {"core", "store", "engine", "engine_lists", "engine_interop"},
    "interop": {"core", "store", "engine", "engine_lists", "interop"},
    "service": {"core", "store", "engine", "engine_lists", "interop", "service"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(path: Path) -> None:
    """core imports nothing above it; store never imports the engine or the CLI."""
    layer = _layer(path)
    if layer not in ALLOWED:
        return
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


def test_core_imports_no_io_libraries() -> None:
    """The pure core does no I/O: no sqlite, sockets, files or clocks imported."""
    banned = {"sqlite3", "socket", "os", "pathlib", "time", "platformdirs", "psycopg", "redis"}
    for path in (SRC / "core").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [(node.module or "").split(".")[0]]
            assert not banned & set(names), f"{path.name} imports {names}"


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
