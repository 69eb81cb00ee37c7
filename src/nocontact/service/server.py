"""Run the app under uvicorn: ``nocontact serve``.

Settings reach the worker processes through the environment (``NOCONTACT_*``),
the same way a deployment would set them. On SIGINT or SIGTERM uvicorn stops
accepting connections, tells the app it is closing (live event streams end at
their next wake, within half a second), lets requests in flight finish (at most
:data:`GRACE_SECONDS`), then the app closes the store.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .settings import Settings

GRACE_SECONDS = 5
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
#: The start of the name of each server's metrics folder, in the temporary folder.
METRICS_PREFIX = "nocontact-metrics-"


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


def bind(settings: Settings) -> socket.socket:
    """The listening socket, bound now so that a taken port is reported before anything
    else, naming the flag that changes it."""
    from nocontact.core.errors import InvalidInput

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}):"
            " choose another port with --port (or NOCONTACT_PORT)",
            field="port",
        ) from None
    sock.set_inheritable(True)
    return sock


def run(
    settings: Settings,
    listening: socket.socket | None = None,
    factory: str = "nocontact.service.app:create",
) -> None:
    """Serve the app ``factory`` makes (``module:function``, given the settings) under uvicorn."""
    import importlib

    import uvicorn

    from . import logs

    if not settings.auth and settings.host not in LOOPBACK:
        raise SystemExit("auth may be turned off only on a loopback address (127.0.0.1)")
    logs.configure(settings.log_level)
    os.environ.update(settings.as_env())
    if settings.workers > 1:
        if listening is not None:
            listening.close()  # uvicorn's supervisor binds its own, shared by the workers
        with shared_metrics():
            uvicorn.run(factory, factory=True, **_options(settings))
        return
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)(settings)
    config = uvicorn.Config(app, **_options(settings))

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            app.closing = True
            await super().shutdown(sockets)

    Server(config).run(sockets=[listening] if listening is not None else None)


@contextmanager
def shared_metrics() -> Iterator[str]:
    """A fresh folder where the workers (started inside) share their metrics values.

    Set in the environment before the workers start, so each one imports
    ``prometheus_client`` in multiprocess mode; removed when the server stops,
    or, after a server killed outright, by the next one to start. Only
    ``mostrecent`` gauges are used, so a worker that dies leaves nothing to
    clean up (``mark_process_dead`` concerns the ``live*`` modes) and its
    counts stay in the totals, as a counter's should.
    """
    from .metrics import MULTIPROCESS_ENV

    _remove_orphans()
    folder = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    before = os.environ.get(MULTIPROCESS_ENV)
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(MULTIPROCESS_ENV, None)
        else:
            os.environ[MULTIPROCESS_ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def _remove_orphans() -> None:
    """Remove the metrics folders of servers that are gone (their pid is in the name)."""
    for folder in Path(tempfile.gettempdir()).glob(METRICS_PREFIX + "*"):
        pid = folder.name.removeprefix(METRICS_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # alive, another user's


def _options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options, from the settings: its HTTP protocol with the connection limits."""
    from functools import partial

    from .connections import LimitedProtocol, Limits

    limits = Limits(settings.max_header, settings.header_timeout, settings.body_timeout)
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers if settings.workers > 1 else None,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": partial(LimitedProtocol, limits=limits),
        "timeout_keep_alive": settings.keep_alive,
        "h11_max_incomplete_event_size": settings.max_header,
        "lifespan": "on",
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "server_header": False,
    }


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None
