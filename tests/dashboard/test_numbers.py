"""Every figure, drill-down count and trend point against tests/dashboard/expected.py
(an independent computation from the raw rows), for several filters."""
from __future__ import annotations

import re

import pytest

from portal.dashboard import services
from portal.dashboard.periods import parse_period
from portal.extensions import db
from tests.dashboard import expected as E
from tests.dashboard.factories import dataset

CASES = [("2026-07", None), ("2026-Q3", None), ("2026-Q3", "W02"), ("2026-06-10..2026-08-20", "W01"),
         ("2026", None), ("2026-09", "W03")]


@pytest.fixture
def data(app):
    built = dataset()
    db.session.commit()
    return built


def _filters(user, period, ward):
    args = {"period": period}
    if ward:
        args["ward"] = ward
    return services.read_filters(args, user)


def _close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


@pytest.mark.parametrize("period,ward", CASES)
def test_figures_previous_ranking_and_trends(data, login, period, ward):
    user = login("quality")
    raw = E.load()
    f = _filters(user, period, ward)
    ids = [raw["wards"][ward]] if ward else None
    p = parse_period(period)
    now = E.counts(raw, p.start, p.end, ids)[None]
    prev_p = p.previous()
    before = E.counts(raw, prev_p.start, prev_p.end, ids)[None]

    by_ward = services.ward_counts(f)
    figs = {fig.metric.key: fig for fig in services.figures(f, by_ward=by_ward)}
    for key, (num, den) in E.RATIOS.items():
        fig = figs[key]
        assert _close(fig.value, E.value(key, now)), key
        assert _close(fig.previous, E.value(key, before)), key
        assert fig.numerator == now.get(num, 0)
        if den:
            assert fig.denominator == now.get(den, 0)
            assert fig.small == (0 < now.get(den, 0) < 30)

    per_ward = E.counts(raw, p.start, p.end, ids, bucket="ward")
    rows = services.ward_ranking(f, by_ward, sort="reach_rate")
    assert {r["ward"].id for r in rows} == {w for w in per_ward if per_ward[w]}
    for r in rows:
        for key in E.RATIOS:
            assert _close(r["cells"][key].value, E.value(key, per_ward[r["ward"].id])), key
    values = [r["cells"]["reach_rate"].value for r in rows if r["cells"]["reach_rate"].value is not None]
    assert values == sorted(values, reverse=True)

    first = p.trend_months()[0]
    monthly = E.counts(raw, first, p.end, ids, bucket="month")
    trend = services.trends(f)
    for key in E.RATIOS:
        assert len(trend[key]) == 12
        for label, value, _counts in trend[key]:
            assert _close(value, E.value(key, monthly.get(label, {}))), (key, label)


@pytest.mark.parametrize("role", ["quality", "leader"])
@pytest.mark.parametrize("period,ward", CASES[:4])
def test_drill_down_counts_match(data, client, login, period, ward, role):
    raw = E.load()
    p = parse_period(period)
    ids = [raw["wards"][ward]] if ward else None
    code_of = {v: k for k, v in raw["wards"].items()}
    parts = {("followup_rate", "numerator"): "discharges_attempted",
             ("followup_rate", "denominator"): "discharges_due",
             ("reach_rate", "numerator"): "tasks_reached",
             ("reach_rate", "denominator"): "tasks_attempted",
             ("lost_rate", "numerator"): "tasks_lost",
             ("discharges", "numerator"): "discharges"}
    cells = E.counts(raw, p.start, p.end, ids, bucket="ward")
    total = E.counts(raw, p.start, p.end, ids)[None]
    query = {"period": period, **({"ward": ward} if ward else {})}
    login(role)
    for (metric, part), name in parts.items():
        html = client.get("/dashboard/drill", query_string={**query, "metric": metric, "part": part}
                          ).get_data(as_text=True)
        assert int(re.search(r'data-count="(\d+)"', html)[1]) == total.get(name, 0), (metric, part)
        if role != "leader":
            assert E.NAME_PREFIX in html or not total.get(name)
            continue
        assert E.NAME_PREFIX not in html
        found = {}
        for code, month, n in re.findall(r'data-cell="(\w+)\|([\d-]+)">(\d+)<', html):
            found[(code, month)] = found.get((code, month), 0) + int(n)
        by_ward = {}
        for (code, _m), n in found.items():
            by_ward[code] = by_ward.get(code, 0) + n
        assert by_ward == {code_of[w]: c[name] for w, c in cells.items() if c.get(name)}


def test_monthly_drill_cells_match_the_trend(data, client, login):
    raw = E.load()
    monthly = E.counts(raw, parse_period("2026-Q3").start, parse_period("2026-Q3").end,
                       bucket="month")
    login("leader")
    html = client.get("/dashboard/drill?metric=reach_rate&part=denominator&period=2026-Q3"
                      ).get_data(as_text=True)
    per_month = {}
    for _code, month, n in re.findall(r'data-cell="(\w+)\|([\d-]+)">(\d+)<', html):
        per_month[month] = per_month.get(month, 0) + int(n)
    assert per_month == {m: c["tasks_attempted"] for m, c in monthly.items() if c.get("tasks_attempted")}


def test_empty_period_says_no_data(data, client, login):
    login("leader")
    html = client.get("/dashboard?period=2024-01").get_data(as_text=True)
    assert "no data" in html and "0.0%" not in html
