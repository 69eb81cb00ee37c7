"""Builds the compiled kernels (``src/nocontact/core/_*.c``); the rest is in pyproject.toml.

Each ``_name.c`` becomes ``nocontact.core._name``. A kernel that fails to build
is left out with a warning: the pure-Python fallback answers alike (slower), and
``tests/test_kernels.py`` fails in CI when a kernel is missing.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNELS = sorted(Path("src/nocontact/core").glob("_*.c"))


class OptionalBuildExt(build_ext):
    """Build what compiles; warn about, and skip, what does not."""

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:  # a missing compiler or header: fall back to Python
            print(f"WARNING: {ext.name} not built ({error}); using the pure-Python fallback")


setup(
    ext_modules=[
        Extension(
            f"nocontact.core.{path.stem}",
            [str(path)],
            extra_compile_args=["-O3"],
        )
        for path in KERNELS
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
