"""Every kernel in ``core/_*.c`` is built where CI runs, and the pure switch is honoured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nocontact.core
from nocontact.core.compiled import PURE, PURE_ENV, kernel

SOURCES = sorted(Path(nocontact.core.__file__).parent.glob("_*.c"))


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_each_kernel_is_built(source: Path) -> None:
    if PURE:
        pytest.skip(f"{PURE_ENV} is set: this run checks the pure-Python fallback")
    if kernel(source.stem) is None:
        message = f"{source.stem} is not built: run `pip install -e .` (needs a C compiler)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_the_pure_switch_hides_every_kernel() -> None:
    names = [s.stem for s in SOURCES]
    code = (
        "from nocontact.core.compiled import kernel;"
        f"print(sum(kernel(n) is not None for n in {names!r}))"
    )
    env = {**os.environ, PURE_ENV: "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
