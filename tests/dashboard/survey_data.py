"""Survey responses for the dashboard tests: a patient survey (overall 1–5, recommend 0–10,
a comment) answered on several wards, months and channels, plus a staff campaign that the
patient figures must leave out."""
from __future__ import annotations  # noqa: I001  (portal.surveys is first-party once merged)

import random
from datetime import UTC, date, datetime

from portal.extensions import db
from portal.surveys.models import Answer, Question, Response, SurveyTemplate, SurveyVersion

COMMENT = "护士很耐心 =cmd"


def _template(code, audience):
    t = SurveyTemplate(code=code, title_zh=code, audience=audience)
    v = SurveyVersion(template=t, number=1)
    qs = [Question(version=v, position=1, kind="scale5", text_zh="总体满意度", is_overall=True),
          Question(version=v, position=2, kind="scale11", text_zh="推荐意愿", is_recommend=True),
          Question(version=v, position=3, kind="text", text_zh="意见建议")]
    db.session.add_all([t, v, *qs])
    return v, qs


def responses(wards: dict, seed: int = 3, months=("2026-06", "2026-07", "2026-08", "2026-09")):
    rng = random.Random(seed)
    patient_v, patient_q = _template("PAT", "discharged_patient")
    staff_v, staff_q = _template("STAFF", "nurse_self")
    db.session.flush()
    for ward in wards.values():
        for month in months:
            y, m = map(int, month.split("-"))
            for i in range(rng.randrange(4, 16)):
                staff = i % 7 == 6
                version, qs = (staff_v, staff_q) if staff else (patient_v, patient_q)
                r = Response(version_id=version.id, channel=rng.choice(("phone", "self", "paper")),
                             ward_id=ward.id, period=date(y, m, 1),
                             answered_at=datetime(y, m, 5 + i % 20, 3, tzinfo=UTC))
                db.session.add(r)
                overall = rng.choice((1, 2, 3, 4, 4, 5, 5, None))
                rec = rng.choice((0, 3, 6, 7, 8, 9, 10, 10, None))
                r.answers = [Answer(question_id=qs[0].id, value=overall),
                             Answer(question_id=qs[1].id, value=rec)]
                if i % 5 == 0:
                    r.answers.append(Answer(question_id=qs[2].id, text=COMMENT))
    db.session.flush()
