"""Dashboards as page and htmx fragment per role; 403 and 404; leaders never see identifiers."""
from __future__ import annotations

import pytest

from portal.auth.models import ROLES
from portal.extensions import db
from tests.dashboard.access import EXPECTED
from tests.dashboard.factories import NAME_PREFIX, PHONE_PREFIX, dataset

URLS = {
    "dashboard.leader": "/dashboard?period=2026-Q3",
    "dashboard.quality": "/dashboard/quality?period=2026-Q3",
    "dashboard.ward": "/dashboard/ward?period=2026-Q3",
    "dashboard.drill": "/dashboard/drill?metric=reach_rate&part=denominator&period=2026-Q3",
}


@pytest.fixture
def data(app):
    built = dataset()
    db.session.commit()
    return built


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_page_and_fragment_per_role(data, client, login, endpoint, role):
    login(role)
    page = client.get(URLS[endpoint])
    frag = client.get(URLS[endpoint], htmx=True)
    if role not in EXPECTED[endpoint]:
        assert page.status_code == 403 and frag.status_code == 403
        return
    assert page.status_code == 200, page.status_code
    assert b"<html" in page.data and b"<html" not in frag.data
    root = b'id="drill"' if endpoint == "dashboard.drill" else b'id="dash"'
    assert frag.data.lstrip().startswith(b"<div " + root) or root in frag.data[:200]
    assert b"style=" not in page.data and b"<script>" not in page.data


def test_signed_out_is_sent_to_login(client):
    resp = client.get("/dashboard")
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]


LEADER_URLS = [
    "/dashboard?period=2026-Q3", "/dashboard?period=2026-Q3&ward=W01&sort=reach_rate&dir=asc",
    "/dashboard?period=2026", "/dashboard?from=2026-05-01&to=2026-09-30&ward=W02",
] + [f"/dashboard/drill?metric={m}&part={p}&period=2026-Q3{w}"
     for m in ("followup_rate", "reach_rate", "lost_rate", "discharges")
     for p in ("numerator", "denominator") for w in ("", "&ward=W01")]


def test_leaders_never_receive_names_or_phones(data, client, login):
    login("leader")
    for url in LEADER_URLS:
        for htmx in (False, True):
            resp = client.get(url, htmx=htmx)
            assert resp.status_code in (200, 404), url
            text = resp.get_data(as_text=True)
            assert NAME_PREFIX not in text and PHONE_PREFIX not in text, url
            assert "139****" not in text, url


def test_quality_drill_rows_are_masked(data, client, login):
    login("quality")
    text = client.get(URLS["dashboard.drill"]).get_data(as_text=True)
    assert NAME_PREFIX in text and "139****" in text
    assert PHONE_PREFIX not in text


def test_nurse_sees_only_own_ward(data, client, login):
    login("nurse", ward="W01")
    assert client.get("/dashboard/ward?ward=W02").status_code == 404
    assert client.get("/dashboard/drill?metric=reach_rate&part=numerator&ward=W02"
                      "&period=2026-Q3").status_code == 404
    text = client.get("/dashboard/drill?metric=reach_rate&part=denominator&period=2026-Q3"
                      ).get_data(as_text=True)
    assert ">W02<" not in text and ">W01<" in text


def test_unknown_metric_or_part_is_404(data, client, login):
    login("quality")
    assert client.get("/dashboard/drill?metric=nope&part=numerator").status_code == 404
    assert client.get("/dashboard/drill?metric=reach_rate&part=bad").status_code == 404
    assert client.get("/dashboard?ward=ZZ").status_code == 404


def test_bad_period_says_so(data, client, login):
    login("leader")
    resp = client.get("/dashboard?period=2026-13")
    assert resp.status_code == 200
    assert "cannot be read" in resp.get_data(as_text=True)
    resp = client.get("/dashboard?from=2026-09-01&to=2026-08-01")
    assert "before the start" in resp.get_data(as_text=True)


def test_filters_keep_a_bookmarkable_url(data, client, login):
    login("leader")
    text = client.get("/dashboard?period=2026-Q3&ward=W02").get_data(as_text=True)
    assert 'hx-push-url="true"' in text and 'hx-target="#dash"' in text
    assert "/dashboard/drill?period=2026-Q3&amp;ward=W02&amp;metric=reach_rate" in text
    assert 'role="img"' in text and "<desc" in text and "<details" in text


def test_ranking_sort_links(data, client, login):
    login("leader")
    text = client.get("/dashboard?period=2026-Q3&sort=lost_rate&dir=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in text


def test_ward_dashboard_today_and_hospital(data, client, login):
    login("head_nurse", ward="W01")
    text = client.get("/dashboard/ward?period=2026-Q3").get_data(as_text=True)
    assert "calls done today" in text and "Hospital" in text


def test_small_sample_mark(data, client, login):
    login("leader")
    text = client.get("/dashboard?period=2026-09&ward=W03").get_data(as_text=True)
    assert "small sample" in text


def test_chinese_page_shows_definitions_in_chinese(data, client, login):
    login("leader", language="zh")
    text = client.get("/dashboard?period=2024-01").get_data(as_text=True)
    assert "随访成功率 = " in text and "无数据" in text and "全部病区" in text
