"""Writes ``docs/semantics.md`` from the semantics table.

The checked-in document is the reviewed contract: tests read it back and drive
the engine through every cell, so a change of behaviour shows up as a change of
the document (``python -m nocontact.docgen`` rewrites it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .core.model import KIND_PRECEDENCE, OUTCOME_SEVERITY, Action, Direction, Disclosure, Kind
from .core.semantics import DEFAULT, PRIVACY, Effect, effect

INTRO = """\
# Semantics: every kind × every action × both directions

This table is the contract. `tests/test_semantics.py` reads it back and checks
every cell against the engine, end to end; `python -m nocontact.docgen`
rewrites it from `nocontact/core/semantics.py`.

Each cell reads `outcome · what the actor sees · whether the other side is
notified`. **target → owner** is the person the boundary is set toward acting
toward its owner (messaging them, viewing their posts, seeing their presence);
**owner → target** is the owner acting toward them. Viewing actions
(`view_post`, `view_profile`, `search`, `presence`, `read_receipt`,
`location`) are asked by the viewer: "may the actor see the target's ...".

`normal` means the actor is shown nothing unusual: the product shows the
outcome as it is (an item that is hidden simply is not there). `delivered`
means delivered and never read (for a call: it rings out unanswered). `sent`
is a follow request or group invitation that waits for approval.

A **silent** block cannot be told apart from privacy: the blocked person sees
exactly what they would see if the owner had merely turned on the ordinary
privacy settings listed in "Silent means private" below (a message shows
`delivered`, never `read` and never a lone `sent`). Only a block whose owner
chose `unavailable` tells the blocked person anything.

Where several boundaries hold between two people, every one of them, in both
directions, gives its effect, and the strictest wins: first by outcome
({severity}), then by kind ({kinds}), then the actor's own boundary before the
other side's, then the quieter disclosure. Each person is told only about their
own boundaries: the explanation a viewer gets is their own strongest boundary
in the interaction, chosen among theirs alone, whatever the other side holds.
The other side is notified only if no holding boundary says otherwise. One
rule comes first: when the actor's own boundary stops the
interaction (deny, drop, hide, hold, divert, limited), nothing reaches the other
side, and the decision is the actor's own boundary's alone, so that a pledge or
a block never reveals whether the other person has blocked them too.

Beyond the table:

- A block with `keep_evidence` seals what the target sends (messages, calls,
  SMS, mentions, replies, quotes, reposts): the decision carries
  `evidence: true` and nothing is delivered or notified.
- A `space` tells the target its end and the owner's note (`note`, `until` on
  the decision) and, when it ends or is lifted, its event says whether held
  messages are delivered or discarded.
- A restricted person's reply on the owner's post is seen by its author only
  (`visible` hides it from everyone else).
- Emergency numbers are never blocked, either way. For two hours (configurable)
  after the owner contacts emergency services, boundaries on patterns pause for
  inbound calls and SMS; boundaries on a specific person or address stay unless
  the owner opted in.
- A boundary scoped to one platform holds there; a decision that names no
  platform (and uses no address that implies one) honours it too, so always
  pass the platform.
- Patterns (`pattern:unknown`, `pattern:private`, `pattern:shortcode`,
  `pattern:sender`, `pattern:domain:D`) describe who reaches the owner, so they
  act on the target → owner direction only; limit them with channels.
"""


def _cell(eff: Effect) -> str:
    notified = "notified" if eff.notify else "quiet"
    return f"{eff.outcome.value} · `{eff.actor_sees.value}` · {notified}"


def _columns(kind: Kind) -> list[tuple[str, Direction, Disclosure]]:
    if kind is Kind.BLOCK:
        return [
            ("target → owner (silent)", Direction.INBOUND, Disclosure.SILENT),
            ("target → owner (unavailable)", Direction.INBOUND, Disclosure.UNAVAILABLE),
            ("owner → target", Direction.OUTBOUND, Disclosure.SILENT),
        ]
    return [
        ("target → owner", Direction.INBOUND, Disclosure.SILENT),
        ("owner → target", Direction.OUTBOUND, Disclosure.SILENT),
    ]


def semantics_markdown() -> str:
    severity = " > ".join(o.value for o in OUTCOME_SEVERITY)
    kinds = " > ".join(k.value for k in KIND_PRECEDENCE)
    out = [INTRO.format(severity=severity, kinds=kinds)]
    out.append("## no boundary\n\n| action | either way |\n|---|---|")
    out += [f"| `{a.value}` | {_cell(DEFAULT[a])} |" for a in Action]
    out.append(
        "\n## Silent means private\n\nWhat a silently blocked person sees, action by"
        " action, and the ordinary privacy setting of the owner's it mimics.\n\n"
        "| action | the actor sees | as if the owner had |\n|---|---|---|"
    )
    for a in Action:
        shown, setting = PRIVACY[a]
        out.append(f"| `{a.value}` | `{shown.actor_sees.value}` | {setting} |")
    for kind in Kind:
        columns = _columns(kind)
        out.append(f"\n## {kind.value}\n")
        out.append("| action | " + " | ".join(title for title, _, _ in columns) + " |")
        out.append("|---" * (len(columns) + 1) + "|")
        for action in Action:
            cells = [_cell(effect(kind, d, action, disclosure)) for _, d, disclosure in columns]
            out.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/semantics.md")
    target.write_text(semantics_markdown(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
