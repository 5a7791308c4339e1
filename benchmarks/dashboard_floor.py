"""The floor: the dashboard's aggregates as plain SQL over the base tables, on a raw
sqlite3 connection (what a reporting tool pointed at the database would run)."""
from __future__ import annotations

from datetime import date, timedelta

from benchmarks import dashboard_extra
from portal.dashboard.periods import Period, add_months

TASKS = """SELECT {key} count(DISTINCT discharge_id),
  count(DISTINCT CASE WHEN attempts > 0 THEN discharge_id END),
  sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
  sum(CASE WHEN attempts > 0 AND status = 'completed'
           AND last_outcome IN ('reached_patient', 'reached_family') THEN 1 ELSE 0 END),
  sum(CASE WHEN attempts > 0 AND status = 'lost' THEN 1 ELSE 0 END)
FROM followup_tasks WHERE kind = 'ward' AND status != 'cancelled'
  AND due_on >= ? AND due_on <= ? {ward} {group}"""
DISCHARGES = """SELECT {key} count(*) FROM discharges WHERE discharged_on >= ?
  AND discharged_on <= ? {ward} {group}"""
SECOND_LEVEL = """SELECT count(*) FROM followup_tasks q LEFT JOIN followup_tasks w
  ON w.id = q.sampled_task_id WHERE q.kind = 'quality' AND q.due_on >= ? AND q.due_on <= ?
  AND q.status != 'cancelled'"""


def twelve_months(today: date) -> Period:
    """The 12 complete months before the current one, as a custom period."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period("custom", add_months(end.replace(day=1), -11), end)


def _run(conn, sql, start, end, ward_id, by):
    key = {"ward": "ward_id,", "month": "strftime('%Y-%m', {col}),", None: ""}[by]
    group = {"ward": "GROUP BY ward_id", "month": "GROUP BY 1", None: ""}[by]
    col = "due_on" if "followup_tasks" in sql else "discharged_on"
    ward = f"AND ward_id = {int(ward_id)}" if ward_id else ""
    conn.execute(sql.format(key=key.format(col=col), ward=ward, group=group),
                 (start.isoformat(), end.isoformat())).fetchall()


def run(conn, period: Period, ward_id=None, quality: bool = False) -> None:
    prev = period.previous()
    trend_start = period.trend_months()[0]
    for sql in (TASKS, DISCHARGES):
        _run(conn, sql, period.start, period.end, ward_id, "ward")   # figures + ranking
        _run(conn, sql, prev.start, prev.end, ward_id, None)         # previous period
        _run(conn, sql, trend_start, period.end, ward_id, "month")   # 12-month trend
    if quality:
        conn.execute(SECOND_LEVEL, (period.start.isoformat(), period.end.isoformat())).fetchall()
        if dashboard_extra.has_table(conn, "survey_review_items"):
            conn.execute("SELECT count(*) FROM survey_review_items WHERE status = 'open'").fetchall()
            conn.execute("SELECT * FROM survey_review_items WHERE status = 'open'"
                         " ORDER BY created_at LIMIT 10").fetchall()
    dashboard_extra.floor(conn, period, ward_id, quality)
