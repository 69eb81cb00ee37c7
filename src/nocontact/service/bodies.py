"""Request bodies: decoded strictly, and refused when an object repeats a key.

msgspec keeps the last of two equal keys (``{"id": "a", "id": "b"}`` is ``b``),
and so would most parsers downstream: a body that says two things must be
refused, not guessed at. The full check (the standard library's parser with a
hook that sees every object's pairs) costs about five times the decode, so it
runs only when two fast scans say a repeat is possible. A body type forbids
unknown fields, so a repeated key is one of its field names, quoted; a key can
hide behind a ``\\u`` escape, so a body with one is always checked in full.

1. No field name appears twice in the bytes: no object can repeat one (a single
   decision, a person, a boundary).
2. Otherwise (a batch: every check names its ``actor``) the decoded body is
   encoded back without defaults, which keeps one of each key an object was sent
   with; when each name appears as often there as in the bytes, nothing was
   repeated (a repeat would be one occurrence fewer).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from .problems import edge, from_validation

_encode = msgspec.json.Encoder().encode


def _field_names(kind: type[Any]) -> tuple[bytes, ...]:
    """Each field name of ``kind`` and the structs inside it, quoted as JSON writes it."""
    names: set[str] = set()
    seen: set[type[Any]] = set()

    def visit(info: msgspec.inspect.Type) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in seen:
                return
            seen.add(info.cls)
            for f in info.fields:
                names.add(f.encode_name)
                visit(f.type)
        for attr in ("item_type", "key_type", "value_type"):
            inner = getattr(info, attr, None)
            if inner is not None:
                visit(inner)
        for inner in getattr(info, "types", ()):
            visit(inner)
        for inner in getattr(info, "item_types", ()):
            visit(inner)

    visit(msgspec.inspect.type_info(kind))
    return tuple(json.dumps(n).encode() for n in sorted(names))


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = [k for k, _ in pairs]
        repeated = next(k for k in keys if keys.count(k) > 1)
        raise edge("invalid_input", f"the key {repeated!r} is given twice in one object")
    return found


class BodyDecoder:
    """Strict decoding of one body type, duplicate keys refused."""

    def __init__(self, kind: type[Any]) -> None:
        self._decoder = msgspec.json.Decoder(kind, strict=True)
        self._names = _field_names(kind)

    def decode(self, raw: bytes) -> Any:
        try:
            body = self._decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            raise from_validation(error) from None
        if self.may_repeat(raw, body):
            json.loads(raw, object_pairs_hook=_no_repeats)
        return body

    def may_repeat(self, raw: bytes, body: Any) -> bool:
        """False only when no object of the body can hold a key twice."""
        if b"\\u" in raw:
            return True
        repeated = []
        for name in self._names:  # plain loops: a generator costs more than the counts
            seen = raw.count(name)
            if seen > 1:
                repeated.append((name, seen))
        if not repeated:
            return False
        again = _encode(body)
        return any(again.count(name) != seen for name, seen in repeated)
