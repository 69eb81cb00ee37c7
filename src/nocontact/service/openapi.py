"""The OpenAPI 3.1 document, built from the route table and the schema structs.

The JSON schemas come from the same msgspec structs that decode requests, so
the document cannot drift from the validation; ``docs/openapi.json`` holds the
document byte for byte, and a test fails when the two differ
(``python -m nocontact.service.ops`` rewrites it). This module knows nothing of
the routes it documents: :mod:`.ops` hands it the table.
"""

from __future__ import annotations

import html
import json
from typing import Any

import msgspec

from .problems import MEDIA_TYPE, Problem
from .routing import Route

VERSION = "0.1.0"
REF = "#/components/schemas/{name}"
DESCRIPTION = """\
nocontact decides, on every interaction, *may this reach that person, and what
does each side see?* Every write answers with the new `revision`; every read
accepts `min_revision` and never answers from an older state. Every error is an
RFC 9457 problem (`application/problem+json`) with a machine `code`.

Send an API key as `Authorization: Bearer nck_...`. `decide`, `decide/batch`,
`visible` and `audience` need a key with scope `decide`; everything else needs
`admin`. Explanations (which boundary decided and why) are for the owner's eyes
only: a decision carries one only when `viewer` names the owner.

Request bodies are at most 4 MiB (the server's `max_body` setting) and
`decide/batch` takes at most 10,000 checks (`max_batch`)."""


def _param(p: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": {int: "integer", bool: "boolean", str: "string"}[p.type]}
    if p.minimum is not None:
        schema["minimum"] = p.minimum
    if p.maximum is not None:
        schema["maximum"] = p.maximum
    if p.type is str:
        schema["maxLength"] = 256
    if p.default is not None:
        schema["default"] = p.default
    return {
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": p.description,
        "schema": schema,
    }


def _ref(kind: type[Any]) -> dict[str, str]:
    return {"$ref": REF.format(name=kind.__name__)}


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
    }
    params = [
        {"name": seg[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for seg in route.path.split("/")
        if seg.startswith("{")
    ]
    params += [_param(p) for p in route.query]
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(route.body)}},
        }
    if route.response is not None:
        content: dict[str, Any] = {"application/json": {"schema": _ref(route.response)}}
    elif route.raw_media == "application/json":
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {route.raw_media or "text/plain": {"schema": {"type": "string"}}}
    if route.streams:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    done = {"description": "Done", "content": content}
    op["responses"] = {
        **{str(status): done for status in (route.status, *route.also)},
        "default": {
            "description": "A problem (RFC 9457)",
            "content": {MEDIA_TYPE: {"schema": _ref(Problem)}},
        },
    }
    if route.scope is not None:
        op["security"] = [{"apiKey": []}]
        op["description"] = f"Needs an API key with scope `{route.scope.value}`."
    else:
        op["security"] = []
    return op


def build(routes: tuple[Route, ...]) -> dict[str, Any]:
    kinds: list[type[Any]] = [Problem]
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
        kinds += [k for k in (route.body, route.response) if k is not None]
    _, schemas = msgspec.json.schema_components(list(dict.fromkeys(kinds)), ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "nocontact", "version": VERSION, "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "nck_... API key"}
            },
        },
    }


def document(routes: tuple[Route, ...]) -> str:
    return json.dumps(build(routes), indent=2, ensure_ascii=False) + "\n"


def docs_html(routes: tuple[Route, ...]) -> str:
    """A page to read the API in a browser, with no script and nothing fetched."""
    doc = build(routes)
    rows = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_name = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{html.escape(params)}</td>"
                f"<td>{html.escape(body_name)}</td>"
                f"<td>{html.escape(op.get('description', ''))}</td></tr>"
            )
    schemas = "".join(
        f"<h3 id='{name}'>{name}</h3><pre>{html.escape(json.dumps(schema, indent=2))}</pre>"
        for name, schema in doc["components"]["schemas"].items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>nocontact API</title>"
        "<style>body{font:15px system-ui;margin:2em;max-width:70em}td{padding:.3em .6em;"
        "border-bottom:1px solid #ddd;vertical-align:top}"
        "pre{background:#f6f6f6;padding:1em}</style>"
        f"</head><body><h1>nocontact API {VERSION}</h1><p>{html.escape(DESCRIPTION)}</p>"
        "<p>The machine-readable document: <a href='/openapi.json'>/openapi.json</a></p>"
        "<table><tr><th>method</th><th>path</th><th>what</th><th>query</th><th>body</th>"
        f"<th>key</th></tr>{''.join(rows)}</table><h2>Schemas</h2>{schemas}</body></html>"
    )
