"""Run the app under uvicorn: ``nocontact serve``.

Settings reach the worker processes through the environment (``NOCONTACT_*``),
the same way a deployment would set them. On SIGINT or SIGTERM uvicorn stops
accepting connections, lets requests in flight finish (live event streams get
:data:`GRACE_SECONDS`), then the app closes the store.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .settings import Settings

GRACE_SECONDS = 5
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def prepare_demo(settings: Settings) -> tuple[Settings, str]:
    """A seeded throwaway database and an admin key for it."""
    from dataclasses import replace

    from nocontact.engine import Engine, EngineConfig

    from .auth import KeyStore
    from .demo import seed

    folder = tempfile.mkdtemp(prefix="nocontact-demo-")
    path = str(Path(folder) / "demo.db")
    with Engine.open(path, config=EngineConfig(region=settings.region)) as engine:
        seed(engine)
    keys = KeyStore(path)
    try:
        _, token = keys.create("demo", "admin")
    finally:
        keys.close()
    return replace(settings, db=path), token


def run(settings: Settings, app: str = "nocontact.service.app:create") -> None:
    """Serve ``app`` (an import string of a factory taking no arguments) under uvicorn."""
    import uvicorn

    from . import logs

    if not settings.auth and settings.host not in LOOPBACK:
        raise SystemExit("auth may be turned off only on a loopback address (127.0.0.1)")
    logs.configure(settings.log_level)
    os.environ.update(settings.as_env())
    uvicorn.run(
        app,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=GRACE_SECONDS,
        server_header=False,
    )


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None
