"""Content reaches a person only through the gateway: checked on the source itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

WEB = Path(__file__).parents[2] / "src" / "nocontact" / "web"
#: The only places allowed to open the content store or name its tables.
GATEWAY = {WEB / "store.py", *(WEB / "gateway").glob("*.py")}
TABLES = {
    name
    for sql in (WEB.parent / "store" / "migrations").glob("*.sql")
    for name in re.findall(r"CREATE TABLE IF NOT EXISTS (web_[a-z_]+)", sql.read_text())
}
TABLE = re.compile(r"\b(" + "|".join(sorted(TABLES)) + r")\b")
OUTSIDE = sorted(p for p in WEB.rglob("*.py") if p not in GATEWAY)
TEMPLATES = sorted((WEB / "templates").glob("*.html"))


def _imports(path: Path) -> list[str]:
    package = ["nocontact", *path.relative_to(WEB.parent.parent).with_suffix("").parts[1:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module or ""]).strip(".")
            found += [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


@pytest.mark.parametrize("path", OUTSIDE, ids=lambda p: str(p.relative_to(WEB)))
def test_only_the_gateway_reaches_the_content_store(path: Path) -> None:
    """Outside the gateway, no module imports the content store's rows, SQL or sqlite3."""
    allowed = {"app.py", "config.py", "serve.py", "demo.py", "bench.py"}  # they hand it over
    for module in _imports(path):
        if module == "sqlite3" or module.startswith("sqlite3."):
            pytest.fail(f"{path.name} imports sqlite3")
        if module.startswith("nocontact.web.store") and path.name not in allowed:
            pytest.fail(f"{path.name} imports {module}")
        if module.startswith("nocontact.store"):
            pytest.fail(f"{path.name} imports the engine's store {module}")


@pytest.mark.parametrize("path", OUTSIDE + TEMPLATES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_content_table_is_named_outside_the_gateway(path: Path) -> None:
    """No route, template or helper names a web_ table: it could only read around the gateway."""
    found = TABLE.findall(path.read_text())
    assert not found, f"{path.relative_to(WEB)} names {sorted(set(found))}"


@pytest.mark.parametrize("path", OUTSIDE, ids=lambda p: str(p.relative_to(WEB)))
def test_routes_touch_the_store_only_through_the_gateway(path: Path) -> None:
    """No module outside the gateway calls the store's query methods (.all, .one, .run)."""
    if path.name in ("app.py", "serve.py", "demo.py", "bench.py", "__init__.py"):
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "store":
            pytest.fail(f"{path.name} reaches .store at line {node.lineno}")


def test_the_gateway_asks_the_engine() -> None:
    """Each surface that shows content calls decide/check, visible or audience."""
    for name in ("people", "messages", "phone", "feed", "notifications"):
        source = (WEB / "gateway" / f"{name}.py").read_text()
        assert re.search(r"\.(decide|check|visible|audience)\(", source), name
