"""A complaint through its workflow in a real browser: quality assigns it to a ward, the
head nurse investigates and records a root cause, the response and a corrective action, and
quality verifies the action and the case and closes it. Every step is an htmx swap of #case."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.complaints.models import Complaint
from portal.extensions import db
from portal.timeutil import local_today
from tests.browser.helpers import sign_in
from tests.complaints import factories as cf

pytestmark = pytest.mark.browser


def press(page, label: str, state: str) -> None:
    """Click a button in the case and wait for the swapped case to show the new state."""
    page.locator("#case").get_by_role("button", name=label, exact=True).click()
    page.locator("#case h1").filter(has_text=state).wait_for()


def test_quality_assigns_head_nurse_answers_quality_closes(page, new_page, live_server,
                                                           browser_user):
    quality = browser_user("quality", display_name="质控刘")
    head = browser_user("head_nurse", ward="W01", display_name="王护士长")
    case = cf.case(quality, wards=(), description="夜间呼叫铃响应慢 <b>不是粗体</b>")
    case_id = case.id
    db.session.commit()
    ward = cf.factories.ward("W01")
    url = live_server.url_for("complaints.detail", case_id=case_id)

    sign_in(page, live_server, quality)
    page.goto(url)
    assert "<b>不是粗体</b>" in page.locator("#case dl").inner_text()  # shown as text
    page.select_option("#assign-wards", [str(ward.id)])
    press(page, "分派至病区", "已分派")

    nurse_page = new_page()
    sign_in(nurse_page, live_server, head)
    nurse_page.goto(url)
    press(nurse_page, "开始调查", "调查中")
    nurse_page.select_option("#category", "method")
    nurse_page.fill("#narrative", "夜班人力不足，呼叫铃无人应答")
    nurse_page.fill("#lesson", "高峰时段弹性排班")
    nurse_page.locator("#case").get_by_role("button", name="添加原因分析").click()
    nurse_page.locator("#causes-title + ul").filter(has_text="夜班人力不足").wait_for()
    nurse_page.fill("#response", "已向家属致歉并说明整改安排")
    press(nurse_page, "记录答复", "已答复")
    nurse_page.fill("#what", "夜班增加一名辅助护士")
    nurse_page.select_option("#owner_id", label="王护士长")  # a user of the ward concerned
    nurse_page.fill("#due_on", (local_today() + timedelta(days=14)).isoformat())
    nurse_page.locator("#case").get_by_role("button", name="添加整改措施").click()
    nurse_page.locator("#case table").filter(has_text="夜班增加一名辅助护士").wait_for()
    press(nurse_page, "制定整改措施", "整改措施")
    nurse_page.locator("#case").get_by_role("button", name="标记完成").click()
    nurse_page.locator("#case").get_by_role("button", name="标记完成").wait_for(state="detached")

    page.goto(url)
    page.locator("#case").get_by_label("有效", exact=True).check()
    page.fill("#verification_note", "抽查三个夜班，均及时应答")
    page.locator("#case").get_by_role("button", name="记录验证结果").click()
    page.locator("#case table").filter(has_text="抽查三个夜班").wait_for()
    press(page, "验证", "已验证")
    press(page, "结案", "已结案")

    db.session.commit()  # a fresh snapshot of what the server wrote
    closed = db.session.get(Complaint, case_id)
    assert closed.state == "closed" and closed.response_text == "已向家属致歉并说明整改安排"
    assert [(a.effective, a.owner_id) for a in closed.actions] == [(True, head.id)]
    timeline = page.locator("#timeline").inner_text()
    assert "王护士长" in timeline and "质控刘" in timeline
