"""The single decision's fast path for plain edges answers exactly as the full path does."""

from __future__ import annotations

import pickle
from dataclasses import asdict, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact.core.decide import Policy, decide_parties, decide_plain
from nocontact.core.edges import CODES, plain_boundary
from nocontact.core.index import Index
from nocontact.core.model import Action

PEOPLE = ("alex", "sam", "kim", "jo")
KEY = b"k" * 32

edges = st.dictionaries(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)).filter(lambda p: p[0] != p[1]),
    st.integers(0, CODES - 1),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    folded=edges,
    lifted=st.sets(st.integers(0, 7), max_size=3),
    overlay=edges,
    names=st.dictionaries(st.sampled_from(PEOPLE), st.text(min_size=1, max_size=5), max_size=3),
    revision=st.integers(0, 10**6),
)
def test_the_fast_path_answers_as_decide_parties(
    folded: dict[tuple[str, str], int],
    lifted: set[int],
    overlay: dict[tuple[str, str], int],
    names: dict[str, str],
    revision: int,
) -> None:
    """Edges folded, lifted since, or still in the overlay; named people or not: the same
    decision and reason, and the same codes from the compiled pair search as from Python."""
    index = Index(id_key=KEY)
    for person in PEOPLE:
        index.add_person(person, names.get(person))
    for (owner, target), code in folded.items():
        index.add_boundary(plain_boundary(owner, target, code, KEY))
    index.merge()
    for i, (owner, target) in enumerate(folded):
        if i in lifted:  # a removed edge: in the edges' removals until the next merge
            index.remove_ids(plain_boundary(owner, target, folded[owner, target], KEY).id,
                             owner, target)  # fmt: skip
    for (owner, target), code in overlay.items():
        if (owner, target) not in folded:
            index.add_boundary(plain_boundary(owner, target, code, KEY))
    answered = 0
    for actor in PEOPLE:
        for target in PEOPLE:
            a, b = index.number_of(actor), index.number_of(target)
            assert a is not None and b is not None
            plain = index.plain
            assert plain.pair(a, b) == (plain.code(a, b), plain.code(b, a))
            for action in Action:
                fast = decide_plain(index, a, action, b, revision)
                if fast is None:
                    continue
                answered += 1
                full = decide_parties(
                    index, index.party_of(a), action, index.party_of(b),
                    platform=None, at=1.0, revision=revision, policy=Policy(),
                )  # fmt: skip
                assert fast == full
                assert fast.explanation == full.explanation
    assert answered or overlay, "with every boundary folded, the fast path answers every pair"


def test_an_explanation_left_for_later_is_the_one_of_the_decision() -> None:
    """Worked out when first read, it names the people as they were named when
    decided, and a decision that holds one behaves as any other."""
    index = Index(id_key=KEY)
    for person in PEOPLE:
        index.add_person(person, "Sam" if person == "sam" else None)
    index.add_boundary(plain_boundary("alex", "sam", 0, KEY))
    index.merge()
    a, b = index.number_of("alex"), index.number_of("sam")
    assert a is not None and b is not None
    lazy = decide_plain(index, a, Action.MESSAGE, b, 3)
    assert lazy is not None
    index.add_person("sam", "Samantha")  # renamed after the decision: its words stay as they were
    full = decide_parties(
        index, index.party_of(a), Action.MESSAGE, index.party_of(b),
        platform=None, at=1.0, revision=3, policy=Policy(),
    )  # fmt: skip
    assert full.explanation is not None and full.explanation.reason == "you blocked Samantha"
    assert lazy == full and lazy.explanation is not None
    assert lazy.explanation.reason == "you blocked Sam"
    assert lazy.explanation.boundary_id == full.explanation.boundary_id
    assert lazy.explanation is lazy.explanation  # worked out once
    again = decide_plain(index, a, Action.MESSAGE, b, 3)
    assert again is not None
    assert pickle.loads(pickle.dumps(again)) == again
    assert asdict(again)["explanation"]["owner"] == "alex"
    assert replace(again, revision=4).explanation == again.explanation
    assert decide_plain(index, a, Action.MESSAGE, b, 3).seen_by("sam").explanation is None  # type: ignore[union-attr]
    assert "you blocked Sam" in repr(decide_plain(index, a, Action.MESSAGE, b, 3))
    with pytest.raises(AttributeError):
        again.nothing  # type: ignore[attr-defined]  # noqa: B018
