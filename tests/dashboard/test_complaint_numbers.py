"""Complaint figures against an independent computation from the raw rows; leaders never
see complainants; the quality queue and the report lists."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from portal.dashboard import services
from portal.dashboard.periods import parse_period
from portal.extensions import db
from portal.timeutil import LOCAL_TZ, local_today
from tests import factories as base
from tests.dashboard import factories

complaint_data = pytest.importorskip("tests.dashboard.complaint_data")  # needs portal.complaints

CASES = [("2026-07", None), ("2026-Q3", "W02"), ("2026-06-10..2026-09-20", "W01"), ("2026", None)]


@pytest.fixture
def data(app):
    built = factories.dataset()
    complaint_data.cases(built["wards"], base.user("quality", username="cq"))
    db.session.commit()
    return built


def _dt(v) -> datetime:
    v = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
    return v if v.tzinfo else v.replace(tzinfo=LOCAL_TZ.utcoffset(None) and None or v.tzinfo)


def _local_day(v) -> date | None:
    if v is None:
        return None
    v = datetime.fromisoformat(str(v)[:19]) if not isinstance(v, datetime) else v
    if v.tzinfo is None:  # SQLite returns UTC without an offset
        v = v + timedelta(hours=8)
        return v.date()
    return v.astimezone(LOCAL_TZ).date()


def expected(start: date, end: date, ward_id=None) -> dict:
    """Counts from the raw rows; `ward_id` one ward or a set of wards (a case on any of them
    counts once)."""
    end = min(end, local_today())
    chosen = ward_id if isinstance(ward_id, set) else None if ward_id is None else {ward_id}
    wards = defaultdict(set)
    for cid, wid in db.session.execute(text("SELECT complaint_id, ward_id FROM complaint_wards")):
        wards[cid].add(wid)
    c = defaultdict(int)
    today = local_today()
    rows = db.session.execute(text(
        "SELECT id, kind, state, received_at, response_due_on, responded_at, next_due_on "
        "FROM complaints")).all()
    for cid, kind, state, received, due, responded, next_due in rows:
        if chosen is not None and not chosen & wards[cid]:
            continue
        day = _local_day(received)
        due = date.fromisoformat(str(due)[:10]) if due else None
        complaint = kind == "complaint" and state != "withdrawn"
        if start <= day <= end:
            c["complaints"] += complaint
            c["praise"] += kind == "praise"
        if complaint and due and start <= due <= end:
            c["deadline_due"] += 1
            c["on_time"] += responded is not None and _local_day(responded) <= due
        if kind == "complaint" and state not in ("closed", "withdrawn"):
            c["open_cases"] += 1
            nd = date.fromisoformat(str(next_due)[:10]) if next_due else None
            c["overdue_cases"] += bool(nd and nd < today)
    for cid, status, due in db.session.execute(text(
            "SELECT complaint_id, status, due_on FROM complaint_actions")):
        if chosen is not None and not chosen & wards[cid]:
            continue
        if status == "open":
            c["actions_open"] += 1
            c["actions_overdue"] += date.fromisoformat(str(due)[:10]) < today
    c["discharges"] = sum(
        db.session.execute(text(
            "SELECT count(*) FROM discharges WHERE discharged_on >= :a AND discharged_on <= :b"
            " AND ward_id = :w"), {"a": start, "b": end, "w": w}).scalar()
        for w in chosen) if chosen is not None else db.session.execute(text(
            "SELECT count(*) FROM discharges WHERE discharged_on >= :a AND discharged_on <= :b"),
            {"a": start, "b": end}).scalar()
    return c


@pytest.mark.parametrize("period,ward", CASES)
def test_complaint_figures(data, login, period, ward):
    user = login("quality")
    f = services.read_filters({"period": period, **({"ward": ward} if ward else {})}, user)
    p = parse_period(period)
    c = expected(p.start, p.end, data["wards"][ward].id if ward else None)
    figs = {x.metric.key: x for x in services.figures(f, by_ward=services.ward_counts(f))}
    rate = 1000.0 * c["complaints"] / c["discharges"] if c["discharges"] else None
    assert figs["complaint_rate"].value == pytest.approx(rate)
    on_time = 100.0 * c["on_time"] / c["deadline_due"] if c["deadline_due"] else None
    assert (figs["on_time_rate"].value is None) if on_time is None else \
        figs["on_time_rate"].value == pytest.approx(on_time)
    for key in ("praise", "open_cases", "overdue_cases", "actions_open", "actions_overdue"):
        assert figs[key].value == c[key], key
    assert figs["open_cases"].previous is None
    prev = p.previous()
    cp = expected(prev.start, prev.end, data["wards"][ward].id if ward else None)
    assert figs["praise"].previous == cp["praise"]


def test_hospital_counts_a_two_ward_case_once(data, login):
    user = login("quality")
    f = services.read_filters({"period": "2026"}, user)
    by_ward = services.ward_counts(f)
    total = {x.metric.key: x for x in services.figures(f, by_ward=by_ward)}
    assert sum(c.get("complaints", 0) for c in by_ward.values()) > total["complaint_rate"].numerator
    assert total["complaint_rate"].numerator == expected(date(2026, 1, 1), date(2026, 12, 31))[
        "complaints"]


def test_a_head_nurse_of_two_wards_counts_a_case_on_both_once(data, login):
    """The monthly report of a head nurse with two wards: figures over both wards, a case on
    both counted once (the summary keeps each case's set of wards)."""
    w1, w2 = data["wards"]["W01"].id, data["wards"]["W02"].id
    both = db.session.execute(text(
        "SELECT count(*) FROM (SELECT complaint_id FROM complaint_wards WHERE ward_id IN"
        " (:a, :b) GROUP BY complaint_id HAVING count(*) = 2) x"), {"a": w1, "b": w2}).scalar()
    assert both > 0  # the data set has cases on both wards
    user = login("head_nurse", ward=["W01", "W02"])
    for period in ("2026-07", "2026-Q3", "2026"):
        f = services.read_filters({"period": period}, user)
        assert f.ward_ids is not None and sorted(f.ward_ids) == sorted([w1, w2])
        p = parse_period(period)
        c = expected(p.start, p.end, {w1, w2})
        figs = {x.metric.key: x for x in services.figures(f, by_ward=services.ward_counts(f))}
        assert figs["complaint_rate"].numerator == c["complaints"], period
        assert figs["on_time_rate"].numerator == c["on_time"], period
        assert figs["on_time_rate"].denominator == c["deadline_due"], period
        for key in ("praise", "open_cases", "overdue_cases", "actions_open", "actions_overdue"):
            assert figs[key].value == c[key], (period, key)


@pytest.mark.parametrize("ward", [None, "W02"])
def test_complaint_trends_month_by_month(data, login, ward):
    """Each trend point is the figure of its month: complaints by the month received,
    deadlines by the month they fell due."""
    user = login("quality")
    f = services.read_filters({"period": "2026-Q3", **({"ward": ward} if ward else {})}, user)
    trends = services.trends(f)
    ward_id = data["wards"][ward].id if ward else None
    for label, _value, counts in trends["on_time_rate"]:
        p = parse_period(label)
        c = expected(p.start, p.end, ward_id)
        assert (counts.get("on_time", 0), counts.get("deadline_due", 0)) == \
            (c["on_time"], c["deadline_due"]), label
        assert counts.get("complaints", 0) == c["complaints"], label
        assert counts.get("praise", 0) == c["praise"], label


def test_top_categories_count_each_case_once(data, login, app):
    from portal.complaints.models import ComplaintCategory
    from portal.dashboard.complaints_lists import top_categories

    user = login("quality")
    f = services.read_filters({"period": "2026"}, user)
    codes = dict(db.session.execute(text("SELECT id, code FROM complaint_categories")).all())
    want: dict = defaultdict(int)
    lo, hi = date(2026, 1, 1), min(date(2026, 12, 31), local_today())
    for cat, kind, state, received in db.session.execute(text(
            "SELECT category_id, kind, state, received_at FROM complaints")):
        if cat and kind == "complaint" and state != "withdrawn" and \
                lo <= _local_day(received) <= hi:
            want[codes[cat]] += 1
    with app.test_request_context():
        got = {code: n for code, _label, n in top_categories(f, limit=50)}
    assert got == dict(want) and ComplaintCategory is not None


@pytest.mark.parametrize("role", ["leader", "quality"])
def test_complaint_drill_counts_and_privacy(data, client, login, role):
    login(role)
    c = expected(date(2026, 7, 1), date(2026, 9, 30))
    for metric, part, name in (("complaint_rate", "numerator", "complaints"),
                               ("on_time_rate", "numerator", "on_time"),
                               ("on_time_rate", "denominator", "deadline_due"),
                               ("praise", "numerator", "praise")):
        html = client.get(f"/dashboard/drill?metric={metric}&part={part}&period=2026-Q3"
                          ).get_data(as_text=True)
        assert complaint_data.COMPLAINANT not in html and complaint_data.COMPLAINANT_PHONE not in html
        if role == "quality":  # leaders' cells add up per ward (a two-ward case in each)
            assert int(re.search(r'data-count="(\d+)"', html)[1]) == c[name], (metric, part)
    for url in ("/dashboard?period=2026-Q3", "/reports/monthly?period=2026-07"):
        html = client.get(url).get_data(as_text=True)
        assert complaint_data.COMPLAINANT not in html and complaint_data.COMPLAINANT_PHONE not in html


def test_quality_queue_and_top_categories(data, client, login):
    login("quality")
    html = client.get("/dashboard/quality?period=2026-Q3").get_data(as_text=True)
    c = expected(date(2026, 7, 1), date(2026, 9, 30))
    assert 'id="queue-complaints"' in html
    assert f"{c['overdue_cases']} overdue" in html
    leader = client.get("/dashboard?period=2026-Q3").get_data(as_text=True)
    assert 'id="top-categories"' in leader and "category=" in leader


def test_report_sheets(data, client, login):
    login("quality")
    wb = load_workbook(BytesIO(client.get("/reports/monthly.xlsx?period=2026-07").data))
    assert {"投诉与表扬", "整改措施"} <= set(wb.sheetnames)
    refs = [r[0] for r in wb["投诉与表扬"].iter_rows(min_row=2, values_only=True)]
    lo, hi = datetime(2026, 7, 1, tzinfo=LOCAL_TZ), datetime(2026, 8, 1, tzinfo=LOCAL_TZ)
    want = db.session.execute(text("SELECT reference, received_at FROM complaints")).all()
    assert sorted(refs) == sorted(ref for ref, at in want
                                  if lo.date() <= _local_day(at) < hi.date())
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert complaint_data.COMPLAINANT_PHONE not in " ".join(map(str, row))
