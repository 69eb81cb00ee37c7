"""Makers of records on hot paths: a frozen dataclass built from its slots' values.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
where one is made per decision, that costs more than the deciding. The compiled
kernel ``_records`` fills the slots directly; the pure twin sets them one by one
(or is the class itself, given every field). ``maker`` only hands one out for a
class whose ``__init__`` does nothing else, so both build the same object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from .compiled import kernel

T = TypeVar("T")

_KERNEL = kernel("_records")


def maker(cls: type[T], names: tuple[str, ...] | None = None) -> Callable[..., T]:
    """A function building ``cls`` from values for the slots ``names`` (by default every
    field, in order), given positionally. A slot not named stays unset: reading it
    raises AttributeError, or asks the class's ``__getattr__``.

    ``cls`` is a frozen dataclass with slots, every field set by ``__init__`` and no
    ``__post_init__`` (TypeError otherwise).
    """
    params: Any = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    declared = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in declared):
        raise TypeError(f"{cls.__name__}.__init__ does more than set its fields")
    fields = tuple(f.name for f in declared)
    names = fields if names is None else names
    slots = {s for c in cls.__mro__ for s in c.__dict__.get("__slots__", ())}
    if not set(names) <= slots or len(set(names)) != len(names):
        raise TypeError(f"{sorted(set(names) - slots)} are not slots of {cls.__name__}")
    if _KERNEL is not None:
        made: Callable[..., T] = _KERNEL.Maker(cls, names)
        return made
    return cls if names == fields else partial(_fill, cls, names)


def _fill(cls: type[T], names: tuple[str, ...], *values: object) -> T:
    made = object.__new__(cls)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(made, name, value)
    return made
