"""Charts drawn on the server as SVG: no script, no third party.

``mood_chart`` shows each check-in as a dot and each week's mean as a bar, for
the last ``WEEKS`` weeks; ``urge_chart`` shows each urge as a line from how
strong it was to how strong it was a few minutes later, so a person can see
their own urges fall. Both carry a ``<title>`` and a ``<desc>`` for screen
readers, and every text in them is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

__all__ = ["WEEKS", "mood_chart", "urge_chart"]

WEEKS = 12
_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 36, 12, 14, 30


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _svg(title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'class="chart" aria-labelledby="chart-title chart-desc">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _axis(lo: int, hi: int, y_of: dict[int, float], labels: dict[int, str]) -> list[str]:
    out = []
    for value in range(lo, hi + 1):
        y = y_of[value]
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        if value in labels:
            out.append(
                f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                f"{escape(labels[value])}</text>"
            )
    return out


def mood_chart(checkins: Sequence[tuple[date, int]], today: date) -> str:
    """Mood 1-5 over the last WEEKS weeks: a bar per week's mean, a dot per check-in."""
    first = _week_start(today) - timedelta(weeks=WEEKS - 1)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    col = plot_w / WEEKS

    def y(mood: float) -> float:
        return _TOP + plot_h * (5 - mood) / 4

    body = _axis(1, 5, {m: y(m) for m in range(1, 6)}, {1: "1", 3: "3", 5: "5"})
    by_week: dict[int, list[int]] = defaultdict(list)
    for day, mood in checkins:
        if first <= day <= today and 1 <= mood <= 5:
            by_week[(day - first).days // 7].append(mood)
    for week in range(WEEKS):
        x0 = _LEFT + col * week
        if week % 2 == 0 or week == WEEKS - 1:
            label = (first + timedelta(weeks=week)).strftime("%d %b")
            body.append(
                f'<text x="{x0 + col / 2:.1f}" y="{_H - 10}" text-anchor="middle" class="tick">'
                f"{escape(label)}</text>"
            )
        moods = by_week.get(week)
        if not moods:
            continue
        mean = sum(moods) / len(moods)
        body.append(
            f'<rect x="{x0 + col * 0.15:.1f}" y="{y(mean):.1f}" width="{col * 0.7:.1f}" '
            f'height="{y(1) - y(mean) + 2:.1f}" rx="3" class="bar">'
            f"<title>week of {escape((first + timedelta(weeks=week)).isoformat())}: "
            f"mean {mean:.1f} from {len(moods)} check-ins</title></rect>"
        )
        for i, mood in enumerate(moods):
            x = x0 + col * (0.2 + 0.6 * (i + 0.5) / len(moods))
            body.append(f'<circle cx="{x:.1f}" cy="{y(mood):.1f}" r="3" class="dot"/>')
    count = sum(len(v) for v in by_week.values())
    return _svg(
        "Your check-ins, week by week",
        f"{count} check-ins over the last {WEEKS} weeks; bars are weekly means on a 1 to 5 scale.",
        body,
    )


def urge_chart(urges: Sequence[tuple[int, int | None]]) -> str:
    """Each urge, oldest first: a line from its first rating (0-10) to its second."""
    shown = list(urges)[-24:]
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    step = plot_w / max(len(shown), 1)

    def y(level: float) -> float:
        return _TOP + plot_h * (10 - level) / 10

    body = _axis(0, 10, {v: y(v) for v in range(11)}, {0: "0", 5: "5", 10: "10"})
    fell = 0
    for i, (before, after) in enumerate(shown):
        x = _LEFT + step * (i + 0.5)
        body.append(f'<circle cx="{x:.1f}" cy="{y(before):.1f}" r="4" class="before"/>')
        if after is None:
            continue
        fell += after < before
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(before):.1f}" y2="{y(after):.1f}" '
            f'class="fall"/><circle cx="{x:.1f}" cy="{y(after):.1f}" r="4" class="after"/>'
        )
    rated = sum(after is not None for _, after in shown)
    return _svg(
        "Your urges, and how they changed a few minutes later",
        f"{len(shown)} urges; {rated} rated again; {fell} of those were lower the second time.",
        body,
    )
