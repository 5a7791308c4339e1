"""Dashboard figures: filters from the query string, each figure with its previous period,
the ward ranking and twelve-month trends. Every count comes from a GROUP BY query in a
source module (metrics_followups, metrics_surveys, metrics_complaints); Python only combines
the grouped rows.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import select

from portal.dashboard import metrics as M
from portal.dashboard.periods import Period, PeriodError, month_key, month_period, parse_period
from portal.extensions import db
from portal.wards.models import Ward


@dataclass
class Filters:
    period: Period
    ward: Ward | None = None
    channel: str = ""
    allowed_ward_ids: list[int] | None = None   # None: every ward
    error: str = ""

    @property
    def ward_ids(self) -> list[int] | None:
        if self.ward is not None:
            return [self.ward.id]
        return self.allowed_ward_ids

    def args(self, **changes) -> dict:
        """Query arguments that reproduce these filters (for links and drill-downs)."""
        args = {"period": self.period.key}
        if self.ward is not None:
            args["ward"] = self.ward.code
        if self.channel:
            args["channel"] = self.channel
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "")}


def visible_wards(user) -> list[Ward]:
    query = select(Ward).where(Ward.active.is_(True)).order_by(Ward.code)
    if not user.sees_all_wards:
        query = query.where(Ward.id.in_(user.ward_ids or [-1]))
    return list(db.session.scalars(query))


def read_filters(args, user, require_ward: bool = False) -> Filters:
    """Filters from request.args; a ward the user may not see is a 404, a bad period a message."""
    error = ""
    try:
        period = parse_period(args.get("period"), args.get("from"), args.get("to"))
    except PeriodError as e:
        period, error = parse_period(None), str(e)
    allowed = None if user.sees_all_wards else list(user.ward_ids)
    ward = None
    code = args.get("ward", "").strip()
    if code:
        ward = db.session.scalar(select(Ward).where(Ward.code == code))
        if ward is None or (allowed is not None and ward.id not in allowed):
            abort(404)
    elif require_ward or allowed is not None:
        wards = visible_wards(user)
        if not wards:
            abort(404)
        ward = wards[0] if (require_ward or len(wards) == 1) else None
    channel = args.get("channel", "").strip()[:16]
    return Filters(period, ward, channel, allowed, error)


@dataclass
class Figure:
    metric: M.Metric
    counts: dict
    previous_counts: dict
    value: float | None = field(init=False)
    previous: float | None = field(init=False)

    def __post_init__(self):
        self.value = self.metric.value(self.counts)
        self.previous = None if self.metric.snapshot else self.metric.value(self.previous_counts)

    @property
    def numerator(self) -> int:
        return self.counts.get(self.metric.numerator, 0)

    @property
    def denominator(self) -> int:
        return self.counts.get(self.metric.denominator, 0) if self.metric.denominator else 0

    @property
    def small(self) -> bool:
        return self.metric.small(self.counts)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improved(self) -> bool | None:
        if not self.change or self.metric.unit == "count":
            return None
        return (self.change > 0) == self.metric.higher_is_better


def _sources(metrics) -> list[str]:
    return sorted({m.source for m in metrics})


def _module(name: str):
    if name == "followups":
        from portal.dashboard import metrics_followups

        return metrics_followups
    return M.source_module(name)


def counts_for(filters: Filters, start, end, by: str | None, metrics, ward_ids="filter",
               sources=None) -> dict:
    """{group: {count: n}} merged over the sources the metrics need."""
    ids = filters.ward_ids if ward_ids == "filter" else ward_ids
    merged: dict = defaultdict(dict)
    for name in sources or _sources(metrics):
        module = _module(name)
        for key, counts in module.aggregate(start, end, ids, by, channel=filters.channel).items():
            merged[key].update(counts)
    return merged


def _total(grouped: dict) -> dict:
    total: dict = defaultdict(int)
    for counts in grouped.values():
        for name, n in counts.items():
            total[name] += n
    return total


def figures(filters: Filters, metrics=None, by_ward: dict | None = None) -> list[Figure]:
    """Each figure for the period beside the previous period.

    With `by_ward` (already queried for the ranking) the totals of additive sources are its
    sums; a source whose records may belong to several wards (complaints) is counted again
    without grouping, so a case on two wards counts once for the hospital.
    """
    metrics = metrics or M.registered()
    start, end = filters.period.clipped()
    if by_ward is None:
        current = counts_for(filters, start, end, None, metrics).get(None, {})
    else:
        current = _total(by_ward)
        shared = [n for n in _sources(metrics) if not getattr(_module(n), "ADDITIVE", True)]
        if shared:
            current.update(counts_for(filters, start, end, None, metrics, sources=shared)
                           .get(None, {}))
    prev = filters.period.previous()
    previous = counts_for(filters, *prev.clipped(), None, metrics).get(None, {})
    return [Figure(m, dict(current), {} if m.snapshot else dict(previous)) for m in metrics]


def ward_counts(filters: Filters, metrics=None, ward_ids="filter") -> dict:
    metrics = metrics or M.registered()
    return counts_for(filters, *filters.period.clipped(), "ward", metrics, ward_ids)


def ward_ranking(filters: Filters, by_ward: dict, metrics=None, sort: str = "",
                 descending: bool = True) -> list[dict]:
    """One row per ward with every figure; sorted by one figure ('no data' last)."""
    metrics = metrics or M.registered()
    wards = {w.id: w for w in db.session.scalars(select(Ward).where(Ward.id.in_(list(by_ward))))}
    rows = []
    for ward_id, counts in by_ward.items():
        if ward_id not in wards:
            continue
        cells = {m.key: Figure(m, counts, {}) for m in metrics}
        rows.append({"ward": wards[ward_id], "cells": cells})
    key = sort if any(m.key == sort for m in metrics) else None
    if key:
        present = [r for r in rows if r["cells"][key].value is not None]
        missing = [r for r in rows if r["cells"][key].value is None]
        present.sort(key=lambda r: (r["cells"][key].value, r["ward"].code), reverse=descending)
        return present + sorted(missing, key=lambda r: r["ward"].code)
    return sorted(rows, key=lambda r: r["ward"].code)


def trends(filters: Filters, metrics=None, months: int = 12, ward_ids="filter") -> dict:
    """{metric key: [(month label, value, counts)]} for the twelve months ending with the period."""
    metrics = metrics or M.registered()
    firsts = filters.period.trend_months(months)
    last = month_period(firsts[-1])
    start, end = firsts[0], min(last.end, filters.period.clipped()[1])
    by_month = counts_for(filters, start, end, "month", [m for m in metrics if not m.snapshot],
                          ward_ids)
    points = {}
    for m in metrics:
        if m.snapshot:
            points[m.key] = []
            continue
        points[m.key] = [(month_key(d), m.value(by_month.get(month_key(d), {})),
                          by_month.get(month_key(d), {})) for d in firsts]
    return points


def ward_figures(filters: Filters, metrics=None) -> dict:
    """{ward id: [Figure]} with each ward's previous period: two GROUP BY ward queries."""
    metrics = metrics or M.registered()
    now = counts_for(filters, *filters.period.clipped(), "ward", metrics)
    before = counts_for(filters, *filters.period.previous().clipped(), "ward", metrics)
    return {ward_id: [Figure(m, dict(counts), dict(before.get(ward_id, {}))) for m in metrics]
            for ward_id, counts in now.items()}
