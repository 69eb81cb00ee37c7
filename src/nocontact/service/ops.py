"""Operational endpoints beside ``/v1``: metrics, the OpenAPI document, its docs page.

``python -m nocontact.service.ops [FILE]`` rewrites ``docs/openapi.json`` (or FILE).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from .auth import Scope
from .list_routes import LIST_ROUTES
from .metrics import CONTENT_TYPE
from .openapi import docs_html, document
from .routes import ROUTES
from .routing import Call, Raw, Route


async def metrics_route(call: Call) -> Raw:
    service = call.service
    engine = await service.fresh(None)  # caught up: any worker reports the same revision
    return Raw(service.metrics.render(engine.revision, service.sizes()), CONTENT_TYPE)


async def openapi_route(call: Call) -> Raw:
    return Raw(document_bytes(), "application/json")


async def docs_route(call: Call) -> Raw:
    return Raw(docs_page().encode(), "text/html; charset=utf-8")


def all_routes() -> tuple[Route, ...]:
    return (
        *ROUTES,
        *LIST_ROUTES,
        Route("GET", "/metrics", "metrics", "Prometheus metrics (needs an admin key)",
              metrics_route, None, scope=Scope.ADMIN, tag="ops", raw_media="text/plain"),
        Route("GET", "/openapi.json", "openapi", "This OpenAPI document", openapi_route, None,
              scope=None, tag="ops", raw_media="application/json"),
        Route("GET", "/docs", "docs", "This document, to read in a browser", docs_route, None,
              scope=None, tag="ops", raw_media="text/html"),
    )  # fmt: skip


@lru_cache(maxsize=1)
def document_bytes() -> bytes:
    """The served document, byte for byte what ``docs/openapi.json`` holds."""
    return document(all_routes()).encode()


@lru_cache(maxsize=1)
def docs_page() -> str:
    return docs_html(all_routes())


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/openapi.json")
    target.write_bytes(document_bytes())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
