"""A nurse answers the rule's satisfaction questions inside the call form (phone mode):
a missing required answer is shown beside its question, then the call and the answers are
saved together and a low overall score lands on the review list."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.followups.models import CallAttempt
from portal.surveys.models import Response, ReviewItem
from tests.browser.helpers import expect, sign_in
from tests.followups.factories_worklist import rule_w, task_w
from tests.surveys import factories as sf

pytestmark = pytest.mark.browser


def test_phone_questions_answered_inside_a_call(page, live_server, browser_user):
    nurse = browser_user("nurse")
    tpl = sf.builtin("PHONE-DISCHARGE")
    task = task_w(due_in=0, rule=rule_w(survey_template_id=tpl.id))
    db.session.commit()
    qs = {q.position: q for q in tpl.current.questions}
    sign_in(page, live_server, nurse)
    page.goto(live_server.url_for("followups.worklist"))
    row = page.locator(f"#task-{task.id}")
    row.locator("button.outcome-reached_patient").click()
    survey = row.locator("#sv-phone-questions")
    expect(survey).to_be_visible()
    form = row.locator("form.call-form")
    form.locator("input[name=health_status]").first.check()
    form.locator("input[name=medication]").first.check()
    survey.locator(f"#sv-q{qs[1].id}").get_by_label("满意", exact=True).check()
    form.locator("button[type=submit].primary").click()
    # two required questions unanswered: messages beside them, nothing saved
    expect(row.locator(f"#q{qs[2].id}-error")).to_be_visible()
    expect(row.locator(f"#q{qs[6].id}-error")).to_be_visible()
    assert row.locator(f"#sv-q{qs[1].id} input[value='4']").is_checked()  # kept
    row.locator(f"#sv-q{qs[2].id}").get_by_label("很满意", exact=True).check()
    row.locator(f"#sv-q{qs[6].id}").get_by_label("不满意", exact=True).check()
    row.locator(f"#sv-q{qs[8].id} textarea").fill("出院指导讲得很清楚")
    row.locator("form.call-form button[type=submit].primary").click()
    expect(row.locator(".badge.ok")).to_be_visible()
    db.session.commit()
    attempt = db.session.scalar(select(CallAttempt))
    response = db.session.scalar(select(Response))
    assert response.call_attempt_id == attempt.id and len(response.answers) == 4
    assert db.session.scalar(select(ReviewItem.score)) == 2
