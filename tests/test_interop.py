"""Import and export: real files in each format, all or nothing, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from nocontact.core.errors import ImportRejected, InvalidInput, UnknownPerson
from nocontact.core.model import Channel, Kind
from nocontact.engine import Engine
from nocontact.interop.apply import detect, export_file, import_file
from nocontact.interop.rows import MAX_IMPORT_BYTES, decode

from .conftest import EngineFactory, FakeClock

FIXTURES = Path(__file__).parent / "fixtures" / "interop"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def alex(engine: Engine) -> Engine:
    engine.add_person("alex", name="Alex")
    return engine


def targets(engine: Engine, owner: str = "alex", kind: Kind | None = None) -> list[str]:
    return sorted(b.target for b in engine.boundaries(owner) if kind is None or b.kind is kind)


def test_fixtures_are_messy_on_purpose() -> None:
    """The fixtures keep byte-order marks and CRLF line ends (git must not normalise them)."""
    blocks = read("mastodon_blocks.csv")
    assert blocks.startswith(b"\xef\xbb\xbf") and b"\r\n" in blocks
    assert b"\r\n" in read("contacts.vcf") and b"\r\n\r\n" in read("numbers.txt")


def test_mastodon_blocks_with_header_bom_and_crlf(alex: Engine) -> None:
    """Blocked accounts: header skipped, leading @ stripped, domain lower-cased, blanks skipped."""
    result = import_file(alex, read("mastodon_blocks.csv"), owner="alex")
    assert result.format == "mastodon-blocks" and result.rows == 4
    assert targets(alex) == [
        "acct:mastodon:loud_guy@social.example.org",
        "acct:mastodon:quiet@xn--mnchen-3ya.social",
        "acct:mastodon:spammer@bad.example",
        "acct:mastodon:troll@mastodon.social",
    ]
    assert alex.check("acct:mastodon:@TROLL@mastodon.social", "message", "alex").outcome == "drop"


def test_mastodon_blocks_without_header(alex: Engine) -> None:
    """Older exports have no header: one user@domain a line."""
    import_file(alex, read("mastodon_blocks_old.csv"), owner="alex", fmt="mastodon-blocks")
    assert targets(alex) == [
        "acct:mastodon:another@infosec.exchange",
        "acct:mastodon:troll@mastodon.social",
    ]


def test_mastodon_mutes_keep_hide_notifications(alex: Engine) -> None:
    """Muted accounts: ``Hide notifications`` false keeps notifications coming."""
    import_file(alex, read("mastodon_mutes.csv"), owner="alex")
    found = {b.target: b for b in alex.boundaries("alex")}
    noisy = found["acct:mastodon:noisy@mastodon.social"]
    chatty = found["acct:mastodon:chatty@fosstodon.org"]
    assert noisy.kind is chatty.kind is Kind.MUTE
    assert noisy.channels is None
    assert chatty.channels is not None and Channel.NOTIFICATIONS not in chatty.channels


def test_mastodon_domain_blocks(alex: Engine) -> None:
    """Blocked domains become instance patterns: every handle on the instance."""
    import_file(alex, read("mastodon_domain_blocks.csv"), owner="alex")
    assert targets(alex) == [
        "pattern:instance:mastodon:bad.example",
        "pattern:instance:mastodon:spam.social",
        "pattern:instance:mastodon:worse.example",
    ]
    assert alex.check("acct:mastodon:anyone@spam.social", "message", "alex").outcome == "drop"


def test_bad_rows_change_nothing_and_are_all_reported(alex: Engine) -> None:
    """A file with bad rows imports nothing and names every bad row by its line."""
    revision = alex.revision
    with pytest.raises(ImportRejected) as caught:
        import_file(alex, read("mastodon_blocks_bad.csv"), owner="alex")
    assert [line for line, _ in caught.value.rows] == [3, 5, 7]
    assert alex.revision == revision and alex.boundaries("alex") == []
    assert alex.check("acct:mastodon:ok@mastodon.social", "message", "alex").outcome == "deliver"


def test_semantic_errors_roll_back_rows_already_applied(alex: Engine) -> None:
    """A row the engine refuses (a self-boundary) undoes the rows before it too."""
    alex.link_address("alex", "acct:mastodon:alex@mastodon.social")
    text = "ok@mastodon.social\nalex@mastodon.social\nfine@x.org\n"
    with pytest.raises(ImportRejected) as caught:
        import_file(alex, text, owner="alex")
    assert [line for line, _ in caught.value.rows] == [2]
    assert alex.boundaries("alex") == []
    assert alex.check("acct:mastodon:ok@mastodon.social", "message", "alex").outcome == "deliver"
    alex.set_boundary("alex", "acct:mastodon:later@x.org", "block")  # the engine still writes
    assert alex.check("acct:mastodon:later@x.org", "message", "alex").outcome == "drop"


def test_vcard_cards_become_people_with_every_address(alex: Engine) -> None:
    """One card with several numbers and e-mails is one person; contacts spare ``unknown``."""
    result = import_file(alex, read("contacts.vcf"), owner="alex", region="US")
    assert result.format == "vcard" and result.rows == 3
    sam = alex.person("sam-okafor")
    assert sam.name == "Sam Okafor"
    assert sam.addresses == (
        "mailto:Sam.Okafor@example.org",
        "tel:+14155550123",
        "tel:+16285550199",
    )
    assert alex.person("jane-doe").addresses == ("tel:+442079460958", "tel:+442079460959")
    assert alex.person("dr-kim-lee").addresses == ("mailto:kim@mail.example", "tel:+14155550177")
    assert alex.contacts("alex") == ["dr-kim-lee", "jane-doe", "sam-okafor"]
    alex.set_boundary("alex", "pattern:unknown", "block", channels=["calls"])
    assert alex.check("+1 628 555 0199", "call", "alex").outcome == "deliver"
    assert alex.check("+1 628 555 0100", "call", "alex").outcome == "drop"


def test_vcard_import_twice_finds_the_same_people(alex: Engine) -> None:
    """A card whose addresses are already someone's stands for that person."""
    import_file(alex, read("contacts.vcf"), owner="alex")
    import_file(alex, read("contacts.vcf"), owner="alex")
    assert alex.contacts("alex") == ["dr-kim-lee", "jane-doe", "sam-okafor"]


def test_bad_vcard_reports_each_card_line(alex: Engine) -> None:
    """A card with a bad number, or with no address, is reported by its BEGIN line."""
    with pytest.raises(ImportRejected) as caught:
        import_file(alex, read("contacts_bad.vcf"), owner="alex")
    assert [line for line, _ in caught.value.rows] == [6, 11]
    assert alex.contacts("alex") == []


def test_vcard_as_blocks(alex: Engine) -> None:
    """A phone's blocked-contacts export: each card becomes a person the owner blocks."""
    import_file(alex, read("contacts.vcf"), owner="alex", kind="block")
    assert alex.check("mailto:Sam.Okafor@EXAMPLE.org", "message", "alex").outcome == "drop"
    assert alex.check("+16285550199", "call", "alex").outcome == "drop"


def test_plain_numbers_in_any_spelling(alex: Engine) -> None:
    """Numbers in human spellings, with a default region; comments and blanks skipped."""
    result = import_file(alex, read("numbers.txt"), owner="alex", region="US")
    assert result.format == "numbers" and result.rows == 7
    assert targets(alex) == [
        "tel:+12125550142",
        "tel:+14155550123",
        "tel:+14155550177",
        "tel:+16285550199",
        "tel:+18005550100",
        "tel:+442079460958",
        "tel:+442079460959",
    ]


def test_numbers_default_region_matters(alex: Engine) -> None:
    """A national number is read in the default region given."""
    import_file(alex, "020 7946 0958\n", owner="alex", fmt="numbers", region="GB")
    assert targets(alex) == ["tel:+442079460958"]


def test_bad_numbers_reported_by_line(alex: Engine) -> None:
    """Words, emergency numbers and short digits are bad rows: nothing is imported."""
    with pytest.raises(ImportRejected) as caught:
        import_file(alex, read("numbers_bad.txt"), owner="alex")
    assert [line for line, _ in caught.value.rows] == [2, 3, 5]
    assert alex.boundaries("alex") == []


def test_replace_mode_lifts_what_the_file_replaces(alex: Engine) -> None:
    """Replace lifts the owner's boundaries of the file's kind and family first; merge adds."""
    alex.set_boundary("alex", "acct:mastodon:old@x.org", "block")
    alex.set_boundary("alex", "+1 415 555 0100", "block")
    import_file(alex, "new@x.org\n", owner="alex", fmt="mastodon-blocks", mode="merge")
    assert len(targets(alex)) == 3
    import_file(alex, "new@x.org\n", owner="alex", fmt="mastodon-blocks", mode="replace")
    assert targets(alex) == ["acct:mastodon:new@x.org", "tel:+14155550100"]


def test_native_fixture_keeps_temporary_ends_and_lists(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    """The native format restores people, lists, subscriptions, and when a space ends."""
    engine = make_engine()
    import_file(engine, read("native.jsonl"))
    decision = engine.check("sam", "message", "alex")
    assert decision.outcome == "hold" and decision.until == 1_800_086_400.0
    assert engine.check("+1 628 555 0199", "call", "alex").outcome == "drop"
    assert engine.check("mailto:x@spam.example", "message", "alex").outcome == "drop"
    clock.advance(86_400 + 1)
    assert engine.check("sam", "message", "alex").outcome == "deliver"


def test_export_then_import_gives_the_same_decisions(make_engine: EngineFactory) -> None:
    """Everything survives a round trip through the native format, temporary ends included."""
    source = make_engine("source.db")
    for p in ("alex", "sam", "cara", "kim"):
        source.add_person(p, name=p.title())
    source.link_address("sam", "+1 415 555 0123")
    source.set_boundary("alex", "sam", "block", duration=3600, disclosure="unavailable")
    source.set_boundary("kim", "alex", "space", duration=7200, note="a while")
    source.set_boundary("alex", "pattern:unknown", "mute", channels=["calls"])
    source.add_contact("alex", "kim")
    source.create_list("cara", "Spam", list_id="spam", members=["+1 628 555 0199"])
    source.subscribe("kim", "spam", "mute")
    source.set_emergency_lifts_person_blocks("alex", True)
    text = export_file(source)
    target = make_engine("target.db")
    import_file(target, text)
    people = ["alex", "sam", "cara", "kim", "+1 628 555 0199", "+1 212 555 0142"]
    for actor in people:
        for other in people:
            for action in ("message", "call", "view_post"):
                for at in (None, source.now() + 5000):
                    a = source.check(actor, action, other, at=at)
                    b = target.check(actor, action, other, at=at)
                    assert (a.outcome, a.actor_sees, a.until) == (b.outcome, b.actor_sees, b.until)
    assert export_file(target).splitlines()[1:] == text.splitlines()[1:]


def test_mastodon_export_round_trips(alex: Engine) -> None:
    """An owner's Mastodon blocks and domains export as Mastodon writes them."""
    import_file(alex, read("mastodon_blocks_old.csv"), owner="alex")
    import_file(alex, read("mastodon_domain_blocks.csv"), owner="alex")
    blocks = export_file(alex, "mastodon-blocks", owner="alex")
    assert blocks == "Account address\nanother@infosec.exchange\ntroll@mastodon.social\n"
    domains = export_file(alex, "mastodon-domains", owner="alex")
    assert domains == "#domain\nbad.example\nspam.social\nworse.example\n"


def test_input_problems_are_errors_not_crashes(alex: Engine) -> None:
    """Unknown owners, formats and modes, non-UTF-8 and oversized files are clear errors."""
    with pytest.raises(UnknownPerson):
        import_file(alex, "a@b.org\n", owner="nobody")
    with pytest.raises(InvalidInput):
        import_file(alex, "a@b.org\n", owner="alex", fmt="excel")
    with pytest.raises(InvalidInput):
        import_file(alex, "a@b.org\n", owner="alex", mode="overwrite")
    with pytest.raises(InvalidInput):
        import_file(alex, b"\xff\xfe\x00a", owner="alex")
    with pytest.raises(InvalidInput):
        decode(b"x" * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(ImportRejected):
        import_file(alex, '{"type": "person"}\n')


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("mastodon_blocks.csv", "mastodon-blocks"),
        ("mastodon_blocks_old.csv", "mastodon-blocks"),
        ("mastodon_mutes.csv", "mastodon-mutes"),
        ("mastodon_domain_blocks.csv", "mastodon-domains"),
        ("contacts.vcf", "vcard"),
        ("numbers.txt", "numbers"),
        ("native.jsonl", "json"),
    ],
)
def test_formats_are_detected(name: str, fmt: str) -> None:
    """Without --format, the file's name and first line say which format it is."""
    assert detect(decode(read(name))) == fmt


def test_progress_hears_every_row(alex: Engine) -> None:
    """The progress callback (the CLI's bar) hears each row, ending at the total."""
    heard: list[tuple[int, int]] = []
    text = "".join(f"+1 415 555 {n:04d}\n" for n in range(100, 160))
    import_file(alex, text, owner="alex", progress=lambda done, total: heard.append((done, total)))
    assert heard[-1] == (60, 60) and len(heard) == 60
