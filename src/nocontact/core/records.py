"""Makers of records on hot paths: a frozen dataclass built with every field in order.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
where one is made per decision, that costs more than the deciding. The compiled
kernel ``_records`` fills the slots directly; the pure twin is the class itself,
which builds the same object. ``maker`` only hands out the kernel's for a class
whose ``__init__`` does nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from .compiled import kernel

T = TypeVar("T")

_KERNEL = kernel("_records")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function building ``cls`` from all of its fields, positionally, in order.

    ``cls`` is a frozen dataclass with slots, every field set by ``__init__`` and no
    ``__post_init__`` (TypeError otherwise): so the kernel's object is the class's.
    """
    params: Any = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__}.__init__ does more than set its fields")
    if _KERNEL is None:
        return cls
    made: Callable[..., T] = _KERNEL.Maker(cls, tuple(f.name for f in fields))
    return made
