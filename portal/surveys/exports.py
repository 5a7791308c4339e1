"""A template's answers as CSV or XLSX: one row per answer, every version.

No phone numbers or names are ever in a survey export; text that a spreadsheet would
run as a formula is neutralised; numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import tempfile

from flask import Response as HttpResponse
from flask import send_file
from sqlalchemy import select

from portal.extensions import db
from portal.privacy import neutralise_formula
from portal.surveys.models import Answer, Question, Response, SurveyTemplate, SurveyVersion
from portal.timeutil import to_local
from portal.wards.models import Ward

HEADER = ["response", "version", "channel", "ward", "period", "answered_at", "question_no",
          "question", "dimension", "value", "choice", "text"]


def rows(template: SurveyTemplate):
    query = (select(Response.id, SurveyVersion.number, Response.channel, Ward.code,
                    Response.period, Response.answered_at, Question.position, Question.text_zh,
                    Question.dimension, Answer.value, Answer.choice, Answer.text)
             .join(Response, Response.id == Answer.response_id)
             .join(SurveyVersion, SurveyVersion.id == Response.version_id)
             .join(Question, Question.id == Answer.question_id)
             .outerjoin(Ward, Ward.id == Response.ward_id)
             .where(SurveyVersion.template_id == template.id)
             .order_by(Response.id, Question.position)
             .execution_options(yield_per=2000))
    for row in db.session.execute(query):
        (rid, number, channel, ward, period, at, position, qtext, dimension, value, choice,
         text) = row
        if value is not None and float(value).is_integer():
            value = int(value)
        yield [rid, number, channel, ward or "", period.strftime("%Y-%m"),
               to_local(at).strftime("%Y-%m-%d %H:%M"), position,
               neutralise_formula(qtext), neutralise_formula(dimension), value,
               neutralise_formula(choice or ""), neutralise_formula(text or "")]


def _csv(template: SurveyTemplate):
    # spooled: memory for small exports, a temporary file for large ones (no streaming
    # generator, which would outlive the request's database session)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows(template))
    text.flush()
    text.detach()
    spool.seek(0)
    return send_file(spool, mimetype="text/csv; charset=utf-8")


def _xlsx(template: SurveyTemplate):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(template.code[:31])
    ws.append(HEADER)
    for row in rows(template):
        # control characters are not allowed in an XLSX cell
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return HttpResponse(out.getvalue(), mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def response(template: SurveyTemplate, fmt: str):
    resp = _csv(template) if fmt == "csv" else _xlsx(template)
    resp.headers["Content-Disposition"] = f'attachment; filename="survey-{template.code}.{fmt}"'
    return resp
