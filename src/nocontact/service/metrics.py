"""Prometheus metrics: requests and latencies per route, decisions by outcome.

Built on ``prometheus_client``, with one :class:`CollectorRegistry` per
:class:`Metrics` object (no module-level state, so test apps never share
counts). With several workers, ``nocontact serve`` names a fresh directory in
``PROMETHEUS_MULTIPROC_DIR`` before the workers start; each worker then writes
its values to files there, and a scrape of any worker sums every worker's
files, so the counts are the server's, not one worker's.

The gauges (revision, rows per table) are set by the worker answering the
scrape, just before it renders, in the ``mostrecent`` mode: the value the
latest scrape set, which is the same whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

#: Latency buckets in seconds (upper bounds), as Prometheus histograms use them.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
#: The methods counted under their own name; any other is counted as ``OTHER``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Where the workers of one server share their values (set by the supervisor).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The text exposition format the scrape answers in.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        # No ``*_created`` series: the names stay those of before, and one worker
        # answers as many do (multiprocess mode has none). A process-wide switch.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        #: The directory shared by the workers, or None with one process.
        self.shared_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self._requests = Counter(
            "nocontact_http_requests",
            "Requests answered, by route and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "nocontact_http_request_duration_seconds",
            "Time to answer, by route.",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._decisions = Counter(
            "nocontact_decisions",
            "Decisions answered, by outcome.",
            ("outcome",),
            registry=self.registry,
        )
        self._per_route: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._per_outcome: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in METHODS:  # a client's made-up method is no new series
            method = "OTHER"
        found = self._per_route.get((method, route, status))
        if found is None:  # labels() costs more than the counting: once per route
            found = self._per_route[(method, route, status)] = (
                self._requests.labels(method, route, str(status)),
                self._latency.labels(method, route),
            )
        counter, histogram = found
        counter.inc()
        histogram.observe(seconds)

    def outcomes(self, outcomes: Iterable[str]) -> None:
        for outcome in outcomes:
            self._outcome(outcome).inc()

    def outcome_counts(self, counts: Mapping[str, int]) -> None:
        """Add decisions already counted by outcome."""
        for outcome, n in counts.items():
            if n:
                self._outcome(outcome).inc(n)

    def _outcome(self, outcome: str) -> Counter:
        found = self._per_outcome.get(outcome)
        if found is None:
            found = self._per_outcome[outcome] = self._decisions.labels(outcome)
        return found

    def render(self, revision: int, sizes: Mapping[str, int]) -> bytes:
        """The text exposition, after setting the gauges from this worker's view."""
        self._gauge("nocontact_revision", "The revision the index is at.").set(revision)
        for table, count in sizes.items():
            help_text = f"{table.capitalize()} in the store and index."
            self._gauge(f"nocontact_index_{table}", help_text).set(count)
        if self.shared_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.shared_dir)  # type: ignore[no-untyped-call]
        return generate_latest(merged)

    def _gauge(self, name: str, help_text: str) -> Gauge:
        found = self._gauges.get(name)
        if found is None:
            found = self._gauges[name] = Gauge(
                name, help_text, registry=self.registry, multiprocess_mode="mostrecent"
            )
        return found
