"""The tab counts follow every logged call, also when a call is logged while the counts of the
one before are still on their way (htmx drops a request asked for while the element has one in
flight, unless hx-sync says otherwise: the done count then stayed behind)."""
from __future__ import annotations

import pytest

from portal.extensions import db
from tests.browser.helpers import expect, sign_in
from tests.followups.factories_worklist import rule_w, task_w

pytestmark = pytest.mark.browser


def test_counts_of_a_quick_second_call_are_not_lost(page, live_server, browser_user):
    nurse = browser_user("nurse")
    rule = rule_w()
    tasks = [task_w(due_in=0, rule=rule, discharged_days_before_due=10 - i) for i in range(2)]
    db.session.commit()
    sign_in(page, live_server, nurse)
    page.goto(live_server.url_for("followups.worklist"))
    done = page.locator('[data-count="done"]')
    expect(done).to_have_text("0")

    # the counts after the first call are read at once but held back, as on a slow network,
    # until the second call has been logged
    held = []

    def hold_first(route):
        if held:
            route.continue_()
            return
        held.append((route, route.fetch()))

    page.route("**/followups/counts*", hold_first)
    with page.expect_request("**/followups/counts*"):
        page.click(f"#task-{tasks[0].id} button[value='wrong_number']")
    expect(page.locator(f"#task-{tasks[0].id} .badge.bad")).to_be_visible()

    page.click(f"#task-{tasks[1].id} button[value='wrong_number']")
    expect(page.locator(f"#task-{tasks[1].id} .badge.bad")).to_be_visible()
    assert held, "the counts were not asked for after the first call"
    route, stale = held[0]
    route.fulfill(response=stale)   # the stale answer (done = 1) arrives; the queued refresh follows
    expect(done).to_have_text("2")
