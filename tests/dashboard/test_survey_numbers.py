"""Satisfaction rate and NPS against an independent computation from the raw rows."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import text

from portal.dashboard import services
from portal.dashboard.periods import month_start, parse_period
from portal.extensions import db
from tests.dashboard import factories

survey_data = pytest.importorskip("tests.dashboard.survey_data")  # needs portal.surveys

CASES = [("2026-07", None, ""), ("2026-Q3", "W02", ""), ("2026-Q3", None, "phone"),
         ("2026-06-15..2026-08-10", "W01", "self")]


@pytest.fixture
def data(app):
    built = factories.dataset()
    survey_data.responses(built["wards"])
    db.session.commit()
    return built


def expected(start: date, end: date, ward_id=None, channel=""):
    rows = db.session.execute(text(
        "SELECT r.ward_id, r.period, r.channel, q.kind, q.is_overall, q.is_recommend, a.value "
        "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
        "JOIN survey_questions q ON q.id = a.question_id "
        "JOIN survey_versions v ON v.id = q.version_id JOIN survey_templates t ON t.id = v.template_id "
        "WHERE t.audience = 'discharged_patient'")).all()
    c = defaultdict(int)
    for ward, period, chan, kind, overall, rec, value in rows:
        period = date.fromisoformat(str(period)[:10])
        if not (month_start(start) <= period <= end):
            continue
        if (ward_id and ward != ward_id) or (channel and chan != channel):
            continue
        if overall:
            c["valid"] += 1
            top = 4 if kind == "scale5" else 9
            c["top2"] += value is not None and value >= top
        if rec and value is not None:
            c["rec"] += 1
            c["pro"] += value >= 9
            c["det"] += value <= 6
    sat = 100.0 * c["top2"] / c["valid"] if c["valid"] else None
    nps = 100.0 * (c["pro"] - c["det"]) / c["rec"] if c["rec"] else None
    return sat, nps, c


@pytest.mark.parametrize("period,ward,channel", CASES)
def test_satisfaction_and_nps(data, login, period, ward, channel):
    user = login("quality")
    args = {"period": period, "channel": channel, **({"ward": ward} if ward else {})}
    f = services.read_filters(args, user)
    p = parse_period(period)
    ward_id = data["wards"][ward].id if ward else None
    sat, nps, c = expected(p.start, p.end, ward_id, channel)
    figs = {x.metric.key: x for x in services.figures(f, by_ward=services.ward_counts(f))}
    assert figs["satisfaction"].value == pytest.approx(sat) if sat is not None \
        else figs["satisfaction"].value is None
    assert figs["nps"].value == pytest.approx(nps) if nps is not None else figs["nps"].value is None
    assert figs["satisfaction"].denominator == c["valid"]
    assert figs["nps"].numerator == c["pro"]
    trend = dict((label, v) for label, v, _c in services.trends(f)["satisfaction"])
    for label in ("2026-06", "2026-07", "2026-08", "2026-09"):
        m = parse_period(label)
        if m.end <= p.end:
            assert trend[label] == pytest.approx(expected(m.start, m.end, ward_id, channel)[0])


@pytest.mark.parametrize("role", ["leader", "quality"])
def test_survey_drill_counts(data, client, login, role):
    login(role)
    _sat, _nps, c = expected(date(2026, 7, 1), date(2026, 9, 30))
    for metric, part, name in (("satisfaction", "numerator", "top2"),
                               ("satisfaction", "denominator", "valid"),
                               ("nps", "numerator", "pro"), ("nps", "denominator", "rec")):
        html = client.get(f"/dashboard/drill?metric={metric}&part={part}&period=2026-Q3"
                          ).get_data(as_text=True)
        assert int(re.search(r'data-count="(\d+)"', html)[1]) == c[name], (metric, part)


def test_channel_filter_and_queue_on_quality_dashboard(data, client, login):
    login("quality")
    html = client.get("/dashboard/quality?period=2026-Q3&channel=phone").get_data(as_text=True)
    assert 'name="channel"' in html and 'value="phone" selected' in html
    assert 'id="queue-reviews"' in html and 'id="fig-nps"' in html


def test_comments_in_report_but_not_for_leaders(data, client, login):
    from io import BytesIO

    from openpyxl import load_workbook

    login("quality")
    wb = load_workbook(BytesIO(client.get("/reports/monthly.xlsx?period=2026-07").data))
    assert "调查意见" in wb.sheetnames
    cells = [r[3] for r in wb["调查意见"].iter_rows(min_row=2, values_only=True)]
    assert cells and all(v == "'" + survey_data.COMMENT or v == survey_data.COMMENT for v in cells)
    assert all(not str(v).startswith("=") for v in cells)


def test_leader_report_has_no_comments(data, client, login):
    from io import BytesIO

    from openpyxl import load_workbook

    login("leader")
    wb = load_workbook(BytesIO(client.get("/reports/monthly.xlsx?period=2026-07").data))
    assert "调查意见" not in wb.sheetnames
