"""The compiled kernels, when built: each one is optional and has a pure-Python twin.

``setup.py`` compiles every ``core/_NAME.c`` into ``nocontact.core._NAME``. Callers
ask ``kernel("_NAME")`` and take the pure path on None, so a machine without a
compiler still answers alike, only slower. ``NOCONTACT_PURE_PYTHON=1`` forces the
pure path: the tests run the state machine and the semantics on both.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: Set in the environment (to anything but "" or "0") to ignore every compiled kernel.
PURE_ENV = "NOCONTACT_PURE_PYTHON"
PURE = os.environ.get(PURE_ENV, "") not in ("", "0")


def kernel(name: str) -> ModuleType | None:
    """The compiled module ``nocontact.core.<name>``, or None (not built, or pure asked)."""
    if PURE:
        return None
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        return None
