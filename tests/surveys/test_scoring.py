"""Scoring against hand-computed examples."""
from datetime import date

import pytest

from portal.extensions import db
from portal.surveys import scoring
from portal.surveys.scoring import tally
from tests import factories as f
from tests.surveys import factories as sf

FFT = (1, 5)
SCALE5 = (1, 5)
SCALE11 = (0, 10)


def test_fft_dont_know_stays_in_the_denominator():
    # 3 very good, 2 good, 1 poor, 4 don't know (no value): % positive = 5 / 10
    t = tally({5: 3, 4: 2, 2: 1, None: 4}, FFT)
    assert t.n == 10
    assert t.satisfaction == pytest.approx(50.0)
    assert t.top_box == pytest.approx(30.0)
    # the mean uses only answers with a value: (3*100 + 2*75 + 25) / 6
    assert t.mean == pytest.approx((300 + 150 + 25) / 6)


def test_scale5_satisfaction_top_box_and_linear_mean():
    t = tally({5: 1, 4: 1, 3: 1, 1: 1}, SCALE5)
    assert t.satisfaction == pytest.approx(50.0)
    assert t.top_box == pytest.approx(25.0)
    assert t.mean == pytest.approx((100 + 75 + 50 + 0) / 4)


def test_scale11_satisfaction_is_nine_and_ten():
    t = tally({10: 1, 9: 1, 8: 2}, SCALE11)
    assert t.satisfaction == pytest.approx(50.0)
    assert t.mean == pytest.approx((100 + 90 + 160) / 4)


@pytest.mark.parametrize("dist, expected", [
    ({9: 3, 10: 7}, 100.0),           # all promoters
    ({0: 2, 6: 3}, -100.0),           # all detractors
    ({7: 4, 8: 1}, 0.0),              # passives only
    ({10: 2, 8: 1, 6: 1}, 25.0),      # 50 % - 25 %
    ({}, None),                       # no data
])
def test_nps_edges(dist, expected):
    t = tally(dist, SCALE11)
    assert t.nps == (pytest.approx(expected) if expected is not None else None)


def test_empty_distribution_is_no_data():
    t = tally({}, SCALE5)
    assert (t.satisfaction, t.top_box, t.mean, t.nps) == (None, None, None, None)
    assert t.small


def test_results_in_sql(app):
    w1, w2 = f.wards("W01", "W02")
    tpl = sf.builtin("INPATIENT-SELF")  # q1 FFT overall, q2 recommend 0-10, q3.. scale5
    sf.response(tpl, w1.id, **{"1": "very_good", "2": "10", "3": "5"})
    sf.response(tpl, w1.id, **{"1": "dont_know", "2": "6", "3": "3"})
    sf.response(tpl, w2.id, **{"1": "poor", "2": "8"}, channel="self")
    sf.invitation(tpl, w2.id)
    sf.invitation(tpl, w2.id)
    db.session.commit()
    r = scoring.results(scoring.Filters(template=tpl, period_from=date(2026, 1, 1),
                                        period_to=date(2026, 12, 1)))
    assert r.responses == 3
    assert r.overall.n == 3 and r.overall.satisfaction == pytest.approx(100 / 3)
    assert r.recommend.nps == pytest.approx(0.0)   # 1 promoter, 1 detractor, 1 passive
    assert r.response_rate == pytest.approx(50.0)  # 1 self-service answer / 2 invitations
    assert r.by_ward[w1.id][0] == 2 and r.by_ward[w2.id][1].satisfaction == 0
    assert r.dimensions["服务态度"].mean == pytest.approx(75.0)
    fft = r.questions[0]
    assert dict(fft.counts)["不知道"] == 1 and dict(fft.counts)["很好"] == 1
    only_w1 = scoring.results(scoring.Filters(template=tpl, period_from=date(2026, 1, 1),
                                              period_to=date(2026, 12, 1), ward_ids=[w1.id]))
    assert only_w1.responses == 2 and only_w1.invitations == 0
