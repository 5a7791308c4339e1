"""An independent computation of the dashboard figures from the raw rows (plain SQL reads,
then Python), written from PRODUCT.md's definitions without calling portal.dashboard."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import text

from portal.extensions import db
from portal.timeutil import local_today
from tests.dashboard.factories import NAME_PREFIX  # noqa: F401  (tests look for it)

REACHED = {"reached_patient", "reached_family"}


def _d(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def load() -> dict:
    q = lambda sql: db.session.execute(text(sql)).all()  # noqa: E731
    attempts = defaultdict(list)
    for task_id, at, outcome in q("SELECT task_id, at, outcome FROM call_attempts"):
        attempts[task_id].append((str(at), outcome))
    tasks = [dict(id=r[0], discharge=r[1], ward=r[2], kind=r[3], status=r[4], due=_d(r[5]),
                  calls=sorted(attempts[r[0]]))
             for r in q("SELECT id, discharge_id, ward_id, kind, status, due_on FROM followup_tasks")]
    discharges = [dict(id=r[0], ward=r[1], on=_d(r[2]))
                  for r in q("SELECT id, ward_id, discharged_on FROM discharges")]
    wards = {code: wid for wid, code in q("SELECT id, code FROM wards")}
    return {"tasks": tasks, "discharges": discharges, "wards": wards}


def key_of(bucket: str, row_date: date, ward: int):
    return {"ward": ward, "month": f"{row_date.year:04d}-{row_date.month:02d}", "all": None}[bucket]


def counts(raw: dict, start: date, end: date, ward_ids=None, bucket: str = "all") -> dict:
    """{key: counts} for tasks due / discharges discharged in [start, min(end, today)]."""
    end = min(end, local_today())
    out = defaultdict(lambda: defaultdict(int))
    due, attempted_d = defaultdict(set), defaultdict(set)
    for t in raw["tasks"]:
        if t["kind"] != "ward" or t["status"] == "cancelled" or not (start <= t["due"] <= end):
            continue
        if ward_ids is not None and t["ward"] not in ward_ids:
            continue
        k = key_of(bucket, t["due"], t["ward"])
        due[k].add(t["discharge"])
        if t["calls"]:
            attempted_d[k].add(t["discharge"])
            out[k]["tasks_attempted"] += 1
            if t["status"] == "completed" and t["calls"][-1][1] in REACHED:
                out[k]["tasks_reached"] += 1
            if t["status"] == "lost":
                out[k]["tasks_lost"] += 1
    for k, ids in due.items():
        out[k]["discharges_due"] = len(ids)
        out[k]["discharges_attempted"] = len(attempted_d[k])
    for d in raw["discharges"]:
        if start <= d["on"] <= end and (ward_ids is None or d["ward"] in ward_ids):
            out[key_of(bucket, d["on"], d["ward"])]["discharges"] += 1
    return out


RATIOS = {"followup_rate": ("discharges_attempted", "discharges_due"),
          "reach_rate": ("tasks_reached", "tasks_attempted"),
          "lost_rate": ("tasks_lost", "tasks_attempted"),
          "discharges": ("discharges", None)}


def value(metric: str, c: dict):
    num, den = RATIOS[metric]
    if den is None:
        return float(c.get(num, 0))
    return 100.0 * c.get(num, 0) / c[den] if c.get(den) else None
