"""The hot path's makers build what the classes build, and plain ids come out alike both ways."""

from __future__ import annotations

import sys
from dataclasses import FrozenInstanceError, dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nocontact.core.compiled import PURE
from nocontact.core.edges import plain_id, plain_namer
from nocontact.core.model import ActorSees, Decision, Explanation, Kind, Outcome
from nocontact.core.records import maker

new_decision = maker(Decision)
new_explanation = maker(Explanation)
FIELDS_D = tuple(Decision.__dataclass_fields__)
FIELDS_E = tuple(Explanation.__dataclass_fields__)

explanations = st.builds(
    Explanation, st.text(max_size=20), st.text(max_size=20), st.sampled_from(Kind), st.text()
)
decisions = st.builds(
    Decision,
    st.sampled_from(Outcome),
    st.sampled_from(ActorSees),
    st.booleans(),
    st.integers(0, 2**70),
    st.booleans(),
    st.none() | st.text(max_size=30),
    st.none() | st.floats(allow_nan=False),
    st.none() | explanations,
)


@given(decisions)
def test_a_made_decision_is_the_decision(d: Decision) -> None:
    why = d.explanation
    made_why = None if why is None else new_explanation(*(getattr(why, n) for n in FIELDS_E))
    made = new_decision(*(getattr(d, n) for n in FIELDS_D[:-1]), made_why)
    assert type(made) is Decision and made == d and repr(made) == repr(d)
    assert hash(made) == hash(d) and made.explanation == d.explanation
    assert replace(made, revision=1) == replace(d, revision=1)


def test_a_made_record_stays_frozen_and_takes_every_field() -> None:
    d = new_decision(Outcome.DENY, ActorSees.DELIVERED, False, 3, False, None, None, None)
    with pytest.raises(FrozenInstanceError):
        d.revision = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        new_decision(Outcome.DENY, ActorSees.DELIVERED)
    if not PURE:  # the class also takes keywords; the kernel's maker, its fields in order only
        with pytest.raises(TypeError):
            new_decision(*(None,) * 7, explanation=None)


def test_a_maker_keeps_no_reference_it_should_not() -> None:
    value = object()
    before = sys.getrefcount(value)
    made = [new_explanation(value, value, value, value) for _ in range(1000)]
    assert sys.getrefcount(value) == before + 4000
    del made
    assert sys.getrefcount(value) == before


@dataclass(slots=True)
class Thawed:
    a: int


@dataclass(frozen=True)
class NoSlots:
    a: int


@dataclass(frozen=True, slots=True)
class Checks:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("a < 0")


@pytest.mark.parametrize("cls", [Thawed, NoSlots, Checks, int])
def test_only_a_plain_frozen_slotted_dataclass_gets_a_maker(cls: type) -> None:
    with pytest.raises(TypeError):
        maker(cls)


def test_the_maker_is_the_kernel_unless_pure() -> None:
    assert (new_decision is Decision) == PURE


person = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=300)


@given(person, person, st.integers(0, 255), st.binary(max_size=64))
def test_a_plain_id_is_the_same_from_the_namer(
    owner: str, target: str, code: int, key: bytes
) -> None:
    assert plain_namer(key)(owner, target, code) == plain_id(owner, target, code, key)


def test_a_slot_left_out_stays_unset_and_a_base_slot_can_be_named() -> None:
    fields = tuple(f for f in FIELDS_D if f != "explanation")
    later = maker(Decision, (*fields, "_later"))
    why = Explanation("b_1", "ana", Kind.BLOCK, "you blocked ben")
    made = later(Outcome.DENY, ActorSees.DELIVERED, False, 3, False, None, None, (lambda: why,))
    assert made.explanation is why and made == replace(made, explanation=None)
    with pytest.raises(TypeError):
        maker(Decision, ("outcome", "nothing"))
