"""The leadership dashboard in a real browser: period and ward filters swap the figures in
place and change the URL; a figure opens its drill-down; the page prints to PDF."""
from __future__ import annotations

import re
from datetime import date

import pytest

from portal.extensions import db
from tests.browser.helpers import sign_in
from tests.dashboard import expected as E
from tests.dashboard.factories import dataset

pytestmark = pytest.mark.browser


def _reach(raw, start, end, ward=None) -> str:
    ids = [raw["wards"][ward]] if ward else None
    value = E.value("reach_rate", E.counts(raw, start, end, ids)[None])
    return f"{value:.1f}%"


def test_filters_swap_figures_and_url_then_drill_and_print(page, live_server, browser_user):
    dataset()
    db.session.commit()
    raw = E.load()
    user = browser_user("leader", ward=None, language="en")
    sign_in(page, live_server, user)
    page.goto(live_server.url + "/dashboard?period=2026-07")
    value = page.locator("#fig-reach_rate .value")
    assert value.inner_text().strip() == _reach(raw, date(2026, 7, 1), date(2026, 7, 31))

    page.select_option("#f-period", "2026-Q3")
    page.wait_for_url(re.compile(r"period=2026-Q3"))
    q3 = _reach(raw, date(2026, 7, 1), date(2026, 9, 30))
    page.wait_for_function("t => document.querySelector('#fig-reach_rate .value')"
                           ".textContent.trim() === t", arg=q3)

    page.select_option("#f-ward", "W02")
    page.wait_for_url(re.compile(r"ward=W02"))
    w02 = _reach(raw, date(2026, 7, 1), date(2026, 9, 30), "W02")
    page.wait_for_function("t => document.querySelector('#fig-reach_rate .value')"
                           ".textContent.trim() === t", arg=w02)
    assert "period=2026-Q3" in page.url

    page.reload()  # the URL alone reproduces the view
    assert page.locator("#fig-reach_rate .value").inner_text().strip() == w02
    assert page.locator("#f-ward").input_value() == "W02"

    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 5000

    with page.expect_navigation():
        page.click("#fig-reach_rate .parts a >> nth=1")
    assert "/dashboard/drill" in page.url and "part=denominator" in page.url
    count = int(page.locator(".record-count").first.get_attribute("data-count"))
    ids = [raw["wards"]["W02"]]
    assert count == E.counts(raw, date(2026, 7, 1), date(2026, 9, 30), ids)[None]["tasks_attempted"]
    assert E.NAME_PREFIX not in page.content()
