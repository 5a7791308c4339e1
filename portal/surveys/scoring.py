"""Survey scores (PRODUCT.md metric definitions), counted in SQL.

The database groups answers by question and value (and by ward, month and channel for
the overall and recommend items); the few hundred count rows that come back are folded
into `Tally`s, from which every figure is a ratio:

- satisfaction rate: top two boxes (4–5 on 1–5, 9–10 on 0–10) ÷ valid answers; an answer
  without a value (FFT "don't know") is a valid answer, so it stays in the denominator;
- top-box %: the most positive option ÷ valid answers;
- mean 0–100: 100·(x − min)/(max − min), averaged over answers with a value;
- NPS: % 9–10 minus % 0–6 on the recommend item.
Every figure is None when nothing was answered ("no data").
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.surveys.answers import scale_bounds
from portal.surveys.models import (
    STAFF_AUDIENCES,
    Answer,
    Invitation,
    Question,
    Response,
    SurveyTemplate,
    SurveyVersion,
)

SMALL_SAMPLE = 30
HIDE_BELOW = 5  # staff surveys: a breakdown with fewer answers is not shown


@dataclass
class Tally:
    n: int = 0            # valid answers (with or without a value)
    valued: int = 0       # answers with a numeric value
    top2: int = 0
    top: int = 0
    linear_sum: float = 0.0
    promoters: int = 0
    detractors: int = 0

    def add(self, value: float | None, count: int, bounds: tuple[float, float] | None) -> None:
        self.n += count
        if value is None or bounds is None:
            return
        lo, hi = bounds
        self.valued += count
        self.top2 += count if value >= hi - 1 else 0
        self.top += count if value >= hi else 0
        self.linear_sum += count * 100.0 * (value - lo) / (hi - lo)
        if (lo, hi) == (0, 10):
            self.promoters += count if value >= 9 else 0
            self.detractors += count if value <= 6 else 0

    def __iadd__(self, other: Tally) -> Tally:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def satisfaction(self) -> float | None:
        return 100.0 * self.top2 / self.n if self.n else None

    @property
    def top_box(self) -> float | None:
        return 100.0 * self.top / self.n if self.n else None

    @property
    def mean(self) -> float | None:
        return self.linear_sum / self.valued if self.valued else None

    @property
    def nps(self) -> float | None:
        return 100.0 * (self.promoters - self.detractors) / self.valued if self.valued else None

    @property
    def small(self) -> bool:
        return self.n < SMALL_SAMPLE


def tally(dist: dict[float | None, int], bounds: tuple[float, float] | None) -> Tally:
    """A Tally from a distribution {value: count}; None is an answer without a value."""
    t = Tally()
    for value, count in dist.items():
        t.add(value, count, bounds)
    return t


@dataclass
class Filters:
    template: SurveyTemplate
    period_from: date
    period_to: date
    version_id: int | None = None
    ward_ids: list[int] | None = None    # None: every ward
    channel: str | None = None


@dataclass
class QuestionResult:
    question: Question
    tally: Tally
    counts: list[tuple[str, int]]       # (label, count) per option, in scale order


@dataclass
class Results:
    responses: int = 0
    invitations: int = 0
    overall: Tally = field(default_factory=Tally)
    recommend: Tally = field(default_factory=Tally)
    by_ward: dict = field(default_factory=dict)      # ward_id -> [responses, overall Tally]
    by_month: dict = field(default_factory=dict)
    by_channel: dict = field(default_factory=dict)
    dimensions: dict = field(default_factory=dict)   # name -> Tally
    questions: list[QuestionResult] = field(default_factory=list)
    hide_below: int = 0

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.invited_responses / self.invitations if self.invitations else None

    invited_responses: int = 0


def _conditions(f: Filters, version_ids: list[int]) -> list:
    conds = [Response.version_id.in_(version_ids), Response.period >= f.period_from,
             Response.period <= f.period_to]
    if f.ward_ids is not None:
        conds.append(Response.ward_id.in_(f.ward_ids))
    if f.channel:
        conds.append(Response.channel == f.channel)
    return conds


def _labels(q: Question, locale: str) -> list[tuple[float | str | None, str]]:
    if q.kind == "scale11":
        return [(float(v), str(v)) for v in range(11)]
    if q.kind == "yes_no":
        return [(1.0, "yes"), (0.0, "no")]
    return [(o.get("code") if q.kind == "single_choice" else float(o["value"]),
             o.get("en" if locale == "en" else "zh") or o.get("zh", "")) for o in q.options or []]


def results(f: Filters, locale: str = "zh") -> Results:
    versions = list(f.template.versions)
    version_ids = [f.version_id] if f.version_id else [v.id for v in versions]
    shown = next((v for v in versions if v.id == f.version_id), versions[-1])
    questions = {q.id: q for v in versions if v.id in version_ids for q in v.questions}
    bounds = {qid: scale_bounds(q) for qid, q in questions.items()}
    conds = _conditions(f, version_ids)
    r = Results(hide_below=HIDE_BELOW if f.template.audience in STAFF_AUDIENCES else 0)

    counts = db.session.execute(
        select(Response.ward_id, Response.period, Response.channel, func.count())
        .where(*conds).group_by(Response.ward_id, Response.period, Response.channel)).all()
    for ward_id, period, channel, n in counts:
        r.responses += n
        if channel in ("self", "campaign"):
            r.invited_responses += n
        for key, table in ((ward_id, r.by_ward), (period, r.by_month), (channel, r.by_channel)):
            table.setdefault(key, [0, Tally()])[0] += n

    dists: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    choices: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        select(Answer.question_id, Answer.value, Answer.choice, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*conds)  # text answers come back as (question, NULL, NULL) and are ignored
        .group_by(Answer.question_id, Answer.value, Answer.choice)).all()
    for qid, value, choice, n in rows:
        dists[qid][value] += n
        if choice is not None:
            choices[qid][choice] += n

    key_ids = [qid for qid, q in questions.items() if q.is_overall]
    if key_ids:
        rows = db.session.execute(
            select(Response.ward_id, Response.period, Response.channel, Answer.question_id,
                   Answer.value, func.count())
            .join(Response, Response.id == Answer.response_id)
            .where(*conds, Answer.question_id.in_(key_ids))
            .group_by(Response.ward_id, Response.period, Response.channel, Answer.question_id,
                      Answer.value)).all()
        for ward_id, period, channel, qid, value, n in rows:
            for key, table in ((ward_id, r.by_ward), (period, r.by_month), (channel, r.by_channel)):
                table.setdefault(key, [0, Tally()])[1].add(value, n, bounds[qid])

    for qid, q in questions.items():
        t = tally(dists.get(qid, {}), bounds[qid])
        if q.is_overall:
            r.overall += t
        if q.is_recommend:
            r.recommend += t
        if q.dimension and bounds[qid] is not None:
            r.dimensions.setdefault(q.dimension, Tally())
            r.dimensions[q.dimension] += t
        if q.version_id == shown.id and q.kind != "text":
            source = choices[qid] if q.kind == "single_choice" else dists.get(qid, {})
            r.questions.append(QuestionResult(
                q, t, [(label, source.get(key, 0)) for key, label in _labels(q, locale)]))
    r.questions.sort(key=lambda qr: qr.question.position)

    inv = select(func.count()).select_from(Invitation).where(
        Invitation.template_id == f.template.id, Invitation.period >= f.period_from,
        Invitation.period <= f.period_to)
    if f.ward_ids is not None:
        inv = inv.where(Invitation.ward_id.in_(f.ward_ids))
    if f.channel in (None, "self", "campaign"):
        r.invitations = db.session.scalar(inv) or 0
    return r


def comments_query(f: Filters, search: str = ""):
    """Free-text answers for the filters, newest first (a select() to paginate)."""
    versions = [f.version_id] if f.version_id else [v.id for v in f.template.versions]
    # naming the text questions lets the (question_id, value) index find the few text answers
    text_ids = [q.id for v in f.template.versions if v.id in versions for q in v.questions
                if q.kind == "text"]
    query = (select(Answer)
             .join(Response, Response.id == Answer.response_id)
             .options(contains_eager(Answer.response))
             .where(*_conditions(f, versions), Answer.question_id.in_(text_ids),
                    Answer.text.is_not(None)))
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Answer.text.ilike(f"%{escaped}%", escape="\\"))
    return query.order_by(Response.answered_at.desc(), Answer.id.desc())


def versions_of(template: SurveyTemplate) -> list[SurveyVersion]:
    return list(template.versions)
