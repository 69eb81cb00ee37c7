"""The suite's own limits: a test that runs too long fails as a timeout, said plainly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SLOW_PROPERTY = """
import time
from hypothesis import given, settings, strategies as st

@settings(max_examples=10_000)
@given(st.integers())
def test_slow_property(n):
    time.sleep(0.05)
"""


def test_item14_a_timeout_reads_as_a_timeout(tmp_path: Path) -> None:
    """A hypothesis test stopped by the test budget is reported in a few lines starting
    TIMEOUT, not as a FlakyFailure of strategy dumps."""
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_slow.py").write_text(SLOW_PROPERTY)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:timeout",
         "--rootdir", str(tmp_path), str(tmp_path / "test_slow.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "NOCONTACT_TEST_BUDGET": "1", "HYPOTHESIS_PROFILE": "ci"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TIMEOUT: test_slow.py::test_slow_property ran past its budget of 1 s" in done.stdout
    assert "Flaky" not in done.stdout
    assert len(done.stdout.splitlines()) < 60
