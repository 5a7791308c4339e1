"""A patient fills the self-service survey on a phone-sized screen (375 px)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.surveys.models import Response
from tests import factories as f
from tests.surveys import factories as sf

pytestmark = pytest.mark.browser


def test_fill_self_service_survey_on_a_phone(page, live_server):
    from portal.extensions import limiter

    limiter.reset()  # earlier tests' posts to /s/ count against this address
    ward = f.ward("W01")
    tpl = sf.builtin("INPATIENT-SELF")
    token, _ = sf.invitation(tpl, ward.id)
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + f"/s/{token}")
    assert page.locator("h1").inner_text() == "住院患者满意度自助调查"
    # nothing sideways: the page fits the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # submitting with the required item missing shows the message beside it
    page.locator("button.sv-submit").click()
    first = page.locator("fieldset.sv-question").first
    first.locator(".error").wait_for()
    assert "必答" in first.locator(".error").inner_text()
    first.get_by_label("很好").check()
    page.locator("fieldset.sv-question").nth(1).get_by_label("9", exact=True).check()
    page.locator("textarea").fill("夜班护士很耐心，谢谢！")
    page.locator("button.sv-submit").click()
    page.get_by_text("感谢您的参与").wait_for()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    # the link works once only
    page.goto(live_server.url + f"/s/{token}")
    assert page.locator("h1").inner_text() == "此问卷无法填写"
