"""The complaint categories admin page in a real browser: add a category (htmx post, the
page moves to the refreshed list), then deactivate it on its edit page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.complaints.models import ComplaintCategory
from portal.extensions import db
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def test_admin_adds_and_deactivates_a_category(page, live_server, browser_user):
    admin = browser_user("admin")
    sign_in(page, live_server, admin)
    page.goto(live_server.url_for("complaints.categories"))
    page.fill("#code", "parking")
    page.fill("#name_zh", "停车")
    page.fill("#name_en", "Parking")
    page.locator("#category-new").get_by_role("button", name="添加").click()
    row = page.locator("#categories tbody tr").filter(has_text="停车")
    row.wait_for()
    row.get_by_role("link", name="编辑").click()
    page.locator("#category-form").wait_for()
    page.get_by_label("启用").uncheck()
    page.locator("#category-form").get_by_role("button", name="保存").click()
    page.locator("#categories tbody tr").filter(has_text="停车").filter(has_text="已停用").wait_for()
    db.session.commit()  # a fresh snapshot of what the server wrote
    category = db.session.scalar(select(ComplaintCategory)
                                 .where(ComplaintCategory.code == "parking"))
    assert category.name_en == "Parking" and not category.active
