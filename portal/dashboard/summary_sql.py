"""The GROUP BY queries that compute each summary table's rows from the base tables, for some
wards (None: all) and days (None: all). Columns come out in the table's column order."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, case, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from portal.dashboard.models import NO_PREVIOUS
from portal.followups.models import REACHED, TASK_STATUSES, Discharge, FollowUpTask

COUNTED = tuple(s for s in TASK_STATUSES if s != "cancelled")

PATIENT_AUDIENCES = ("discharged_patient", "inpatient")


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def as_key(value):
    """Key values compared across dialects (SQLite hands dates back as text in raw selects)."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _range(ward_col, day_col, ward_ids, lo, hi) -> list:
    """Conditions for some wards (0: records without a ward) and days; on the bare column,
    so its index serves."""
    conds = []
    if ward_ids is not None:
        known = [w for w in ward_ids if w]
        cond = ward_col.in_(known)
        conds.append(or_(cond, ward_col.is_(None)) if 0 in ward_ids else cond)
    if lo is not None:
        conds += [day_col >= lo, day_col <= hi]
    return conds


def discharge_rows(conn, ward_ids, lo, hi):
    D = Discharge
    return (select(D.ward_id, D.discharged_on, func.count())
            .where(*_range(D.ward_id, D.discharged_on, ward_ids, lo, hi))
            .group_by(D.ward_id, D.discharged_on))


def followup_rows(conn, ward_ids, lo, hi):
    """Per ward, due day and previous (attempted) task day: see FollowUpDaily."""
    T, P = FollowUpTask, aliased(FollowUpTask)
    # status IN (...) rather than != 'cancelled': with it SQLite reads a few days of one ward
    # through (ward_id, status, due_on) instead of those days of every ward (20x the rows)
    in_scope = lambda X: and_(X.kind == "ward", X.status.in_(COUNTED))  # noqa: E731
    earlier = and_(P.ward_id == T.ward_id, in_scope(P),
                   or_(P.due_on < T.due_on, and_(P.due_on == T.due_on, P.id < T.id)))
    none = literal(NO_PREVIOUS, Date)

    def previous(*conditions):
        # The discharge's latest earlier task: the only WHERE term is the discharge (its two
        # or three tasks, through ix_followup_tasks_discharge_id); the other conditions sit in
        # the CASE, so no planner (SQLite without ANALYZE statistics did) reads every task of
        # the ward through (ward, kind, status) for each task instead: quadratic in the table.
        return func.coalesce(select(func.max(case((and_(earlier, *conditions), P.due_on))))
                             .where(P.discharge_id == T.discharge_id).scalar_subquery(), none)

    prev_any = previous()
    prev_att = previous(P.attempts > 0)
    attempted = T.attempts > 0
    tasks = select(T.ward_id.label("ward_id"), T.due_on.label("day"),
                   prev_any.label("prev_any"),
                   case((attempted, prev_att)).label("prev_att"),
                   case((attempted, 1), else_=0).label("attempted"),
                   case((and_(attempted, T.status == "completed",
                              T.last_outcome.in_(REACHED)), 1), else_=0).label("reached"),
                   case((and_(attempted, T.status == "lost"), 1), else_=0).label("lost")
                   ).where(in_scope(T), *_range(T.ward_id, T.due_on, ward_ids, lo, hi))
    tasks = tasks.cte("summary_tasks")
    zero, one = literal(0), literal(1)
    links = union_all(
        select(tasks.c.ward_id, tasks.c.day, tasks.c.prev_any.label("prev_day"),
               one.label("due_links"), zero.label("attempted_links"),
               tasks.c.attempted, tasks.c.reached, tasks.c.lost),
        select(tasks.c.ward_id, tasks.c.day, tasks.c.prev_att, zero, one, zero, zero, zero)
        .where(tasks.c.prev_att.is_not(None)),
    ).subquery()
    c = links.c
    return (select(c.ward_id, c.day, c.prev_day, func.sum(c.due_links),
                   func.sum(c.attempted_links), func.sum(c.attempted), func.sum(c.reached),
                   func.sum(c.lost))
            .group_by(c.ward_id, c.day, c.prev_day))


def _questions(conn) -> dict:
    """Patient-survey questions: {id: (is_overall, is_recommend, dimension, scale bounds)}."""
    from types import SimpleNamespace

    from portal.surveys.answers import scale_bounds
    from portal.surveys.models import Question, SurveyTemplate, SurveyVersion

    rows = conn.execute(
        select(Question.id, Question.kind, Question.options, Question.is_overall,
               Question.is_recommend, Question.dimension)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .join(SurveyTemplate, SurveyTemplate.id == SurveyVersion.template_id)
        .where(SurveyTemplate.audience.in_(PATIENT_AUDIENCES))).all()
    return {r.id: (r.is_overall, r.is_recommend, r.dimension,
                   scale_bounds(SimpleNamespace(kind=r.kind, options=r.options)))
            for r in rows}


def _patient_versions():
    from portal.surveys.models import SurveyTemplate, SurveyVersion

    return (select(SurveyVersion.id).join(SurveyTemplate,
                                          SurveyTemplate.id == SurveyVersion.template_id)
            .where(SurveyTemplate.audience.in_(PATIENT_AUDIENCES)))


def survey_rows(conn, ward_ids, lo, hi):
    """Responses, invitations and the overall / recommend counts per ward, month, channel."""
    from portal.dashboard.metrics_surveys import _parts
    from portal.surveys.models import Answer, Invitation, Response, SurveyTemplate

    qs = _questions(conn)
    overall = {qid: b[1] for qid, (ov, _r, _d, b) in qs.items() if ov and b}
    recommend = [qid for qid, (_o, rec, _d, b) in qs.items() if rec and b == (0, 10)]
    parts = _parts(overall, recommend)
    names = ("sat_valid", "sat_top2", "nps_valid", "promoters", "detractors")
    ward = func.coalesce(Response.ward_id, 0)
    answered = (select(ward.label("ward_id"), Response.period.label("day"),
                       Response.channel.label("channel"),
                       func.count(func.distinct(Response.id)).label("responses"),
                       literal(0).label("invitations"),
                       *[_count(parts[n]).label(n) for n in names])
                .select_from(Response)
                .outerjoin(Answer, and_(Answer.response_id == Response.id,
                                        Answer.question_id.in_(list(overall) + recommend)))
                .where(Response.version_id.in_(_patient_versions()),
                       *_range(Response.ward_id, Response.period, ward_ids, lo, hi))
                .group_by(ward, Response.period, Response.channel))
    iward = func.coalesce(Invitation.ward_id, 0)
    invited = (select(iward, Invitation.period, literal("self"), literal(0), func.count(),
                      *[literal(0) for _n in names])
               .join(SurveyTemplate, SurveyTemplate.id == Invitation.template_id)
               .where(SurveyTemplate.audience.in_(PATIENT_AUDIENCES),
                      *_range(Invitation.ward_id, Invitation.period, ward_ids, lo, hi))
               .group_by(iward, Invitation.period))
    u = union_all(answered, invited).subquery()
    c = u.c
    return (select(c.ward_id, c.day, c.channel, func.sum(c.responses), *[
        func.sum(c[n]) for n in ("sat_valid", "sat_top2", "nps_valid", "promoters",
                                 "detractors")], func.sum(c.invitations))
            .group_by(c.ward_id, c.day, c.channel))


def dimension_rows(conn, ward_ids, lo, hi):
    """Valid and top-two-box answers per dimension, ward, month and channel."""
    from portal.surveys.models import Answer, Question, Response

    qs = _questions(conn)
    by_max: dict[float, list[int]] = {}
    for qid, (_o, _r, dim, bounds) in qs.items():
        if dim and bounds:
            by_max.setdefault(bounds[1], []).append(qid)
    ids = [qid for group in by_max.values() for qid in group] or [-1]
    top2 = or_(*[and_(Answer.question_id.in_(g), Answer.value >= hi - 1)
                 for hi, g in by_max.items()]) if by_max else literal(False)
    ward = func.coalesce(Response.ward_id, 0)
    return (select(ward, Response.period, Response.channel, Question.dimension, func.count(),
                   _count(top2))
            .select_from(Answer).join(Response, Response.id == Answer.response_id)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.question_id.in_(ids),
                   *_range(Response.ward_id, Response.period, ward_ids, lo, hi))
            .group_by(ward, Response.period, Response.channel, Question.dimension))


# --- complaints -----------------------------------------------------------------------------

WARD_SETS = {
    # ",3,7," for a case on wards 3 and 7, "," for a case without a ward: ordered, so one
    # set is one string (SQLite 3.40 has no ORDER BY inside group_concat: an ordered subquery)
    "postgresql": "',' || coalesce((SELECT string_agg(cw.ward_id::text, ',' ORDER BY "
                  "cw.ward_id) FROM complaint_wards cw WHERE cw.complaint_id = complaints.id)"
                  " || ',', '')",
    "sqlite": "',' || coalesce((SELECT group_concat(ward_id, ',') FROM (SELECT cw.ward_id "
              "FROM complaint_wards cw WHERE cw.complaint_id = complaints.id ORDER BY "
              "cw.ward_id)) || ',', '')",
}


def ward_set(ward_ids) -> str:
    """The `wards` key of a case on these wards (see ComplaintDaily)."""
    return "," + "".join(f"{w}," for w in sorted(ward_ids))


def set_wards(key: str) -> list[int]:
    return [int(w) for w in key.strip(",").split(",") if w]


def local_day(dialect: str, column):
    """The Asia/Shanghai day of a UTC datetime column (UTC+8 all year)."""
    if dialect == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, literal_column("'+8 hours'"))


def _complaint_wards(ward_ids):
    """Cases on some wards (0: cases without a ward)."""
    from sqlalchemy import exists

    from portal.complaints.models import Complaint
    from portal.complaints.models import complaint_wards as cw

    known = [w for w in ward_ids if w]
    conds = [Complaint.id.in_(select(cw.c.complaint_id).where(cw.c.ward_id.in_(known)))]
    if 0 in ward_ids:
        conds.append(~exists().where(cw.c.complaint_id == Complaint.id))
    return or_(*conds)


def complaint_rows(conn, ward_ids, lo, hi):
    """Per ward set, day and category: complaints and praise by the local day received,
    deadlines due and met by the response due day (see ComplaintDaily)."""
    from portal.complaints.models import Complaint as C
    from portal.dashboard.sqlutil import utc_bounds

    dialect = conn.dialect.name
    wards = literal_column(WARD_SETS[dialect])
    category = func.coalesce(C.category_id, 0)
    complaint = and_(C.kind == "complaint", C.state != "withdrawn")
    by_ward = [_complaint_wards(ward_ids)] if ward_ids is not None else []
    received = [C.kind.in_(("complaint", "praise"))]
    if lo is not None:
        start, end = utc_bounds(lo, hi)
        received += [C.received_at >= start, C.received_at < end]
    zero = literal(0)
    flag = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    got = (select(wards.label("wards"), local_day(dialect, C.received_at).label("day"),
                  category.label("category_id"), flag(complaint).label("complaints"),
                  flag(C.kind == "praise").label("praise"), zero.label("deadline_due"),
                  zero.label("on_time"))
           .where(*received, or_(complaint, C.kind == "praise"), *by_ward))
    on_time = and_(C.responded_at.is_not(None),
                   local_day(dialect, C.responded_at) <= C.response_due_on)
    due = (select(wards, C.response_due_on, category, zero, zero, literal(1), flag(on_time))
           .where(complaint, C.response_due_on.is_not(None),
                  *([C.response_due_on >= lo, C.response_due_on <= hi] if lo is not None
                    else []), *by_ward))
    u = union_all(got, due).subquery()
    c = u.c
    return (select(c.wards, c.day, c.category_id, func.sum(c.complaints), func.sum(c.praise),
                   func.sum(c.deadline_due), func.sum(c.on_time))
            .group_by(c.wards, c.day, c.category_id))


def complaint_ward_filter(table, ward_ids):
    """Summary rows of cases on some wards (0: without a ward), for a recompute."""
    conds = [table.c.wards.like(f"%,{int(w)},%") for w in ward_ids if w]
    if 0 in ward_ids:
        conds.append(table.c.wards == ",")
    return or_(*conds)


def complaint_keys(conn, ids):
    """(ward or 0, day) keys of some cases: each ward (0: none) with the day received and
    the response due day."""
    from portal.complaints.models import Complaint as C
    from portal.complaints.models import complaint_wards as cw

    ward = func.coalesce(cw.c.ward_id, 0)
    joined = C.__table__.outerjoin(cw, cw.c.complaint_id == C.id)
    return union_all(
        select(ward, local_day(conn.dialect.name, C.received_at)).select_from(joined)
        .where(C.id.in_(ids)),
        select(ward, C.response_due_on).select_from(joined)
        .where(C.id.in_(ids), C.response_due_on.is_not(None)))
