"""Response rate and satisfaction per dimension against an independent computation from
the raw rows (plain SQL, then Python; PRODUCT.md's top-two-box definition)."""
from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from portal.dashboard import services, survey_dimensions
from portal.dashboard.periods import month_start, parse_period
from portal.extensions import db
from portal.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    SurveyTemplate,
    SurveyVersion,
)
from tests import factories

CASES = [("2026-07", None, ""), ("2026-Q3", "W02", ""), ("2026-Q3", None, "self"),
         ("2026-Q3", None, "phone")]


@pytest.fixture
def data(app):
    rng = random.Random(11)
    wards = {c: factories.ward(c) for c in ("W01", "W02")}
    t = SurveyTemplate(code="DIM", title_zh="维度", audience="discharged_patient")
    v = SurveyVersion(template=t, number=1)
    qs = [Question(version=v, position=1, kind="scale5", text_zh="态度", dimension="服务态度"),
          Question(version=v, position=2, kind="scale5", text_zh="宣教", dimension="健康教育"),
          Question(version=v, position=3, kind="scale11", text_zh="宣教2", dimension="健康教育"),
          Question(version=v, position=4, kind="scale5", text_zh="总体", is_overall=True)]
    staff = SurveyTemplate(code="ST", title_zh="员工", audience="nurse_self")
    sv = SurveyVersion(template=staff, number=1)
    sq = Question(version=sv, position=1, kind="scale5", text_zh="待遇", dimension="服务态度")
    db.session.add_all([t, v, *qs, staff, sv, sq])
    db.session.flush()
    n = 0
    for ward in wards.values():
        for month in (6, 7, 8, 9):
            for i in range(rng.randrange(5, 14)):
                n += 1
                db.session.add(Invitation(token_hash=f"{n:064d}", template_id=t.id,
                                          ward_id=ward.id, period=date(2026, month, 1),
                                          expires_at=datetime(2027, 1, 1, tzinfo=UTC)))
                if i % 3 == 2:
                    continue
                channel = rng.choice(("self", "self", "phone", "paper"))
                r = Response(version_id=v.id, channel=channel, ward_id=ward.id,
                             period=date(2026, month, 1),
                             answered_at=datetime(2026, month, 3, tzinfo=UTC) + timedelta(hours=i))
                r.answers = [Answer(question_id=qs[0].id, value=rng.choice((1, 3, 4, 5, None))),
                             Answer(question_id=qs[1].id, value=rng.choice((2, 4, 5))),
                             Answer(question_id=qs[2].id, value=rng.randrange(11)),
                             Answer(question_id=qs[3].id, value=rng.choice((3, 5)))]
                db.session.add(r)
                s = Response(version_id=sv.id, channel="campaign", ward_id=ward.id,
                             period=date(2026, month, 1))
                s.answers = [Answer(question_id=sq.id, value=1)]
                db.session.add(s)
    db.session.commit()
    return wards


def expected(start: date, end: date, ward_id=None, channel=""):
    c = defaultdict(int)
    first = month_start(start)
    responses = defaultdict(set)
    for rid, ward, period, chan, kind, dim, value in db.session.execute(text(
            "SELECT r.id, r.ward_id, r.period, r.channel, q.kind, q.dimension, a.value "
            "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
            "JOIN survey_questions q ON q.id = a.question_id "
            "JOIN survey_versions v ON v.id = q.version_id "
            "JOIN survey_templates t ON t.id = v.template_id "
            "WHERE t.audience = 'discharged_patient'")):
        period = date.fromisoformat(str(period)[:10])
        if not first <= period <= end or (ward_id and ward != ward_id) \
                or (channel and chan != channel):
            continue
        if dim:
            top2 = value is not None and value >= (4 if kind == "scale5" else 9)
            c[(dim, "valid")] += 1
            c[(dim, "top2")] += top2
            responses[(dim, "valid")].add(rid)
            if top2:
                responses[(dim, "top2")].add(rid)
    for key, ids in responses.items():  # the drill-down lists responses
        c[("responses", *key)] = len(ids)
    for ward, period, _chan in db.session.execute(text(
            "SELECT r.ward_id, r.period, r.channel FROM survey_responses r "
            "JOIN survey_versions v ON v.id = r.version_id "
            "JOIN survey_templates t ON t.id = v.template_id "
            "WHERE t.audience = 'discharged_patient' AND r.channel = 'self'")):
        period = date.fromisoformat(str(period)[:10])
        if first <= period <= end and (not ward_id or ward == ward_id) \
                and channel in ("", "self"):
            c["self"] += 1
    for ward, period in db.session.execute(text("SELECT ward_id, period FROM survey_invitations")):
        period = date.fromisoformat(str(period)[:10])
        if first <= period <= end and (not ward_id or ward == ward_id) \
                and channel in ("", "self"):
            c["invited"] += 1
    return c


@pytest.mark.parametrize("period,ward,channel", CASES)
def test_response_rate_and_dimensions(data, login, period, ward, channel):
    user = login("quality")
    f = services.read_filters({"period": period, "channel": channel,
                               **({"ward": ward} if ward else {})}, user)
    p = parse_period(period)
    ward_id = data[ward].id if ward else None
    c = expected(p.start, p.end, ward_id, channel)
    rate = next(x for x in services.figures(f, by_ward=services.ward_counts(f))
                if x.metric.key == "response_rate")
    assert (rate.numerator, rate.denominator) == (c["self"], c["invited"])
    assert rate.value == (pytest.approx(100.0 * c["self"] / c["invited"]) if c["invited"]
                          else None)
    dims = {d["dimension"]: d for d in survey_dimensions.dimension_figures(f)}
    assert set(dims) == {"服务态度", "健康教育"}
    for name, d in dims.items():
        assert (d["valid"], d["top2"]) == (c[(name, "valid")], c[(name, "top2")]), name
        assert d["small"] == (0 < d["valid"] < 30)
        if d["valid"]:
            assert d["value"] == pytest.approx(100.0 * d["top2"] / d["valid"])


@pytest.mark.parametrize("role", ["leader", "quality"])
def test_drill_counts_behind_rate_and_dimensions(data, client, login, role):
    login(role)
    c = expected(date(2026, 7, 1), date(2026, 9, 30))
    for query, want in (("metric=response_rate&part=numerator", c["self"]),
                        ("metric=response_rate&part=denominator", c["invited"]),
                        ("metric=satisfaction&part=numerator&dimension=健康教育",
                         c[("responses", "健康教育", "top2")]),
                        ("metric=satisfaction&part=denominator&dimension=服务态度",
                         c[("responses", "服务态度", "valid")])):
        resp = client.get(f"/dashboard/drill?{query}&period=2026-Q3")
        assert resp.status_code == 200, query
        html = resp.get_data(as_text=True)
        total = re.search(r'data-count="(\d+)"', html)
        assert total and int(total[1]) == want, query


def test_dashboards_show_the_dimensions_and_rate(data, client, login):
    login("leader")
    html = client.get("/dashboard?period=2026-Q3").get_data(as_text=True)
    assert 'id="dimensions"' in html and "服务态度" in html and 'id="fig-response_rate"' in html
    assert "top two boxes" in html
    login("head_nurse", ward="W01")
    html = client.get("/dashboard/ward?period=2026-Q3").get_data(as_text=True)
    assert 'id="dimensions"' in html
