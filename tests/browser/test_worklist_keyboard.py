"""A nurse logs three calls with the keyboard alone and sees the tab counts change:
no answer (3, Enter), reached with concerns (1, Space/Tab through the call form, Ctrl+Enter),
wrong number (5, Enter). Uses the shared live server and page fixtures."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.followups.models import CallAttempt, FollowUpTask
from tests.browser.helpers import expect, sign_in
from tests.followups.factories_worklist import rule_w, task_w

pytestmark = pytest.mark.browser


def focused_task_id(page) -> str | None:
    return page.evaluate(
        "() => { const r = document.activeElement.closest('tr.task-row');"
        " return r ? r.closest('tbody.task').id : null; }")


def test_nurse_logs_three_calls_by_keyboard(page, live_server, browser_user):
    nurse = browser_user("nurse")
    rule = rule_w(call_script="请询问伤口愈合情况")
    # four tasks due today, in list order (oldest discharge first)
    tasks = [task_w(due_in=0, rule=rule, discharged_days_before_due=10 - i,
                    diagnosis=f"诊断{i}") for i in range(4)]
    db.session.commit()
    ids = [f"task-{t.id}" for t in tasks]
    sign_in(page, live_server, nurse)
    page.goto(live_server.url_for("followups.worklist"))
    today = page.locator('[data-count="today"]')
    done = page.locator('[data-count="done"]')
    expect(today).to_have_text("4")
    expect(done).to_have_text("0")

    # Tab from the top of the page to the first patient row
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_task_id(page) == ids[0] and page.evaluate(
                "() => document.activeElement.matches('tr.task-row')"):
            break
    assert focused_task_id(page) == ids[0]

    # 1st call: no answer -> 3, Enter; the row stays pending with one attempt; focus moves on
    page.keyboard.press("3")
    expect(page.locator(f"#{ids[0]} button[data-key='3']")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{ids[0]} td.num")).to_have_text("1")
    page.wait_for_function(f"() => document.activeElement.closest('#{ids[1]}') !== null")

    # 2nd call: reached patient -> 1 opens the call form with the script; keyboard only
    page.keyboard.press("1")
    form = page.locator(f"#{ids[1]} form.call-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("请询问伤口愈合情况")
    page.wait_for_function(f"() => document.activeElement.closest('#{ids[1]} form.call-form')")
    page.keyboard.press("Space")          # health status: better (first option)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")          # medication: yes
    page.keyboard.press("Tab")            # concerns
    page.keyboard.type("夜间病房太吵")
    page.keyboard.press("Control+Enter")
    expect(page.locator(f"#{ids[1]} .badge.ok")).to_be_visible()
    expect(done).to_have_text("1")
    page.wait_for_function(f"() => document.activeElement.closest('#{ids[2]}') !== null")

    # 3rd call: wrong number -> 5, Enter; the task is lost (失访)
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{ids[2]} .badge.bad")).to_be_visible()
    expect(done).to_have_text("2")
    page.wait_for_function(f"() => document.activeElement.closest('#{ids[3]}') !== null")
    # no answer in the morning is retried at 15:00 today; in the afternoon, the next working day
    expect(today).to_have_text(re.compile(r"^[12]$"))

    db.session.commit()   # a new transaction sees what the server wrote
    attempts = db.session.scalars(select(CallAttempt).order_by(CallAttempt.id)).all()
    assert [a.outcome for a in attempts] == ["no_answer", "reached_patient", "wrong_number"]
    assert attempts[1].concerns == "夜间病房太吵"
    assert (attempts[1].health_status, attempts[1].medication) == ("better", "yes")
    statuses = [db.session.get(FollowUpTask, t.id).status for t in tasks]
    assert statuses == ["pending", "completed", "lost", "pending"]
