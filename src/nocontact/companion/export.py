"""Everything a person keeps in the companion, in one file: JSON or Markdown.

The export is made from the opened records at the moment the person asks; it
is sent to them and never stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

__all__ = ["as_json", "as_markdown"]

#: Headings in the order a person would look for them.
TITLES = {
    "letter": "Unsent letters",
    "checkin": "Check-ins",
    "urge": "Urges",
    "slip": "Slips",
    "pledge": "Pledges",
    "activity": "Self-care plan",
    "answer": "Who am I now",
    "hard_date": "Hard dates",
    "friend": "My people",
    "safety_plan": "Safety plan",
    "see_less": "See less",
    "settings": "Settings",
}


def as_json(records: dict[str, list[dict[str, Any]]], person: str, now: float) -> str:
    document = {
        "format": "nocontact-companion-export/1",
        "person": person,
        "exported_at": datetime.fromtimestamp(now, UTC).isoformat(),
        "records": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _when(value: object) -> str:
    if isinstance(value, (int, float)) and value:
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ""


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def as_markdown(records: dict[str, list[dict[str, Any]]], person: str, now: float) -> str:
    lines = [f"# My companion ({person})", "", f"Exported {_when(now)}.", ""]
    for kind, title in TITLES.items():
        docs = records.get(kind, [])
        if not docs:
            continue
        lines += [f"## {title}", ""]
        for doc in docs:
            lines.append(f"### {_when(doc.get('created')) or doc.get('id', '')}")
            lines.append("")
            for name, value in doc.items():
                if name in ("id", "created") or value in (None, "", []):
                    continue
                text = _value(value)
                if "\n" in text:
                    lines += [f"**{name}**:", "", *(f"> {line}" for line in text.splitlines()), ""]
                else:
                    lines.append(f"- **{name}**: {text}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
