"""Prometheus metrics: requests and latencies per route, decisions by outcome.

Counters live in plain dicts owned by one :class:`Metrics` object per app (no
module-level state); :meth:`Metrics.render` writes the text exposition format.
Index size is read through the engine's public API and a count query on the
store file, at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

#: Latency buckets in seconds (upper bounds), as Prometheus histograms use them.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Histogram:
    __slots__ = ("counts", "sum", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0
        self.total = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.sum += seconds
        self.total += 1


def _labels(**labels: str) -> str:
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.latency: dict[tuple[str, str], Histogram] = {}
        self.decisions: Counter[str] = Counter()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        found = self.latency.get((method, route))
        if found is None:
            found = self.latency[(method, route)] = Histogram()
        found.observe(seconds)

    def outcomes(self, outcomes: Iterable[str]) -> None:
        self.decisions.update(outcomes)

    def outcome_counts(self, counts: Mapping[str, int]) -> None:
        """Add decisions already counted by outcome."""
        self.decisions.update(counts)

    def render(self, gauges: Callable[[], dict[str, tuple[str, float]]]) -> str:
        out = [
            "# HELP nocontact_http_requests_total Requests answered, by route and status.",
            "# TYPE nocontact_http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self.requests.items()):
            labels = _labels(method=method, route=route, status=str(status))
            out.append(f"nocontact_http_requests_total{labels} {n}")
        out += [
            "# HELP nocontact_http_request_duration_seconds Time to answer, by route.",
            "# TYPE nocontact_http_request_duration_seconds histogram",
        ]
        for (method, route), h in sorted(self.latency.items()):
            running = 0
            for bound, count in zip((*BUCKETS, float("inf")), h.counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                labels = _labels(method=method, route=route, le=le)
                out.append(f"nocontact_http_request_duration_seconds_bucket{labels} {running}")
            base = _labels(method=method, route=route)
            out.append(f"nocontact_http_request_duration_seconds_sum{base} {h.sum!r}")
            out.append(f"nocontact_http_request_duration_seconds_count{base} {h.total}")
        out += [
            "# HELP nocontact_decisions_total Decisions answered, by outcome.",
            "# TYPE nocontact_decisions_total counter",
        ]
        for outcome, n in sorted(self.decisions.items()):
            out.append(f"nocontact_decisions_total{_labels(outcome=outcome)} {n}")
        for name, (help_text, value) in gauges().items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value!r}"]
        return "\n".join(out) + "\n"
