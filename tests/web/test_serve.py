"""One process, two faces: /v1 and the ops paths go to the API, the rest to the app."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import uvicorn

from nocontact.engine import Engine
from nocontact.service.settings import load
from nocontact.web.demo import seed_file
from nocontact.web.serve import create


def test_the_api_and_the_app_share_one_server_and_engine(tmp_path: Path) -> None:
    """/healthz and /v1 answer JSON from the API; / is the web app; both see the same people."""
    path = tmp_path / "both.db"
    Engine.open(path).close()
    seed_file(str(path))
    settings = load({"db": str(path), "auth": False, "demo": True, "access_log": False})
    app = create(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            decided = client.post(
                "/v1/decide", json={"actor": "sam", "action": "message", "target": "alex"}
            )
            assert decided.status_code == 200 and decided.json()["outcome"] == "deliver"
            assert client.get("/openapi.json").json()["openapi"].startswith("3.")
            page = client.get("/signin")
            assert page.status_code == 200 and "Sign in as Sam" in page.text
            assert "default-src 'self'" in page.headers["content-security-policy"]
            missing = client.get("/v1/nothing")
            assert missing.headers["content-type"].startswith("application/problem+json")
            assert client.get("/nothing").headers["content-type"].startswith("text/html")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
