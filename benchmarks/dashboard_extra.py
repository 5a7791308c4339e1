"""Survey responses and complaint cases for the dashboard benchmark (when those features
exist): bulk inserts on the raw SQLite connection, and their floor queries in plain SQL."""
from __future__ import annotations

import random
from datetime import date, timedelta

STAMP = "2024-01-01 00:00:00.000000"


def has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                        (name,)).fetchone() is not None


def empty(conn, table: str) -> bool:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def survey_setup(conn) -> tuple[int, int, int]:
    """A patient survey version with an overall (1–5) and a recommend (0–10) question."""
    conn.execute("INSERT INTO survey_templates (code, title_zh, title_en, audience, active,"
                 " revision, created_at) VALUES ('BENCH', '出院满意度', '', 'discharged_patient',"
                 " 1, 1, ?)", (STAMP,))
    tid = conn.execute("SELECT id FROM survey_templates WHERE code='BENCH'").fetchone()[0]
    conn.execute("INSERT INTO survey_versions (template_id, number, published_at) VALUES (?,1,?)",
                 (tid, STAMP))
    vid = conn.execute("SELECT id FROM survey_versions WHERE template_id=?", (tid,)).fetchone()[0]
    ids = []
    for pos, kind, overall, rec in ((1, "scale5", 1, 0), (2, "scale11", 0, 1)):
        cur = conn.execute(
            "INSERT INTO survey_questions (version_id, position, kind, text_zh, text_en, options,"
            " required, dimension, is_overall, is_recommend) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (vid, pos, kind, f"Q{pos}", "", "[]", 0, "", overall, rec))
        ids.append(cur.lastrowid)
    return vid, ids[0], ids[1]


def surveys(conn, n: int, ward_ids: list[int], today: date, seed: int = 2,
            years: int = 3) -> None:
    rng = random.Random(seed)
    vid, q_overall, q_rec = survey_setup(conn)
    first = today - timedelta(days=years * 365)
    rid = conn.execute("SELECT coalesce(max(id), 0) FROM survey_responses").fetchone()[0]
    for start in range(0, n, 50_000):
        responses, answers = [], []
        for _ in range(min(50_000, n - start)):
            rid += 1
            day = first + timedelta(days=rng.randrange(years * 365))
            responses.append((rid, vid, rng.choice(("phone", "self", "paper")),
                              ward_ids[rng.randrange(len(ward_ids))],
                              day.replace(day=1).isoformat(), f"{day.isoformat()} 03:00:00.000000", 1))
            answers.append((rid, q_overall, rng.choice((1, 2, 3, 4, 4, 5, 5, 5))))
            answers.append((rid, q_rec, rng.randrange(11)))
        conn.executemany("INSERT INTO survey_responses (id, version_id, channel, ward_id, period,"
                         " answered_at, anonymous) VALUES (?,?,?,?,?,?,?)", responses)
        conn.executemany("INSERT INTO survey_answers (response_id, question_id, value)"
                         " VALUES (?,?,?)", answers)
        conn.commit()


def complaints(conn, n: int, ward_ids: list[int], user_id: int, today: date, seed: int = 3,
               years: int = 3):
    rng = random.Random(seed)
    first = today - timedelta(days=years * 365)
    cases, links, actions = [], [], []
    states = ("received", "assigned", "investigating", "responded", "closed", "closed", "closed")
    for cid in range(1, n + 1):
        day = first + timedelta(days=rng.randrange(years * 365))
        kind = rng.choice(("complaint", "complaint", "praise", "suggestion"))
        due = day + timedelta(days=7)
        responded = (f"{(due + timedelta(days=rng.randrange(-6, 3))).isoformat()} 02:00:00.000000"
                     if rng.random() < 0.8 else None)
        # cases older than two months are closed but for a few, as on a working register
        # (otherwise the open-case figures would grow with years of history)
        old = (today - day).days > 60 and rng.random() < 0.98
        state = "closed" if old else rng.choice(states)
        cases.append((cid, f"B{cid:08d}", kind, "telephone", f"{day.isoformat()} 02:00:00.000000",
                      user_id, user_id, "medium", state, "", "", "", "", "", "",
                      due.isoformat() if kind == "complaint" else None,
                      due.isoformat() if kind == "complaint" else None, responded,
                      int(rng.random() < 0.1), 1, STAMP, STAMP))
        links.append((cid, ward_ids[rng.randrange(len(ward_ids))]))
        if kind == "complaint" and rng.random() < 0.3:
            actions.append((cid, "整改", "", (due + timedelta(days=20)).isoformat(),
                            "done" if old else rng.choice(("open", "done")), "", user_id, STAMP))
    conn.executemany(
        "INSERT INTO complaints (id, reference, kind, source, received_at, receiver_id, filed_by_id,"
        " severity, state, complainant_name, complainant_relation, complainant_phone, staff_names,"
        " description, response_text, response_due_on, next_due_on, responded_at, is_repeat,"
        " version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        cases)
    conn.executemany("INSERT INTO complaint_wards (complaint_id, ward_id) VALUES (?,?)", links)
    conn.executemany("INSERT INTO complaint_actions (complaint_id, what, owner_name, due_on, status,"
                     " verification_note, created_by_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
                     actions)
    conn.commit()


SURVEY_FLOOR = """SELECT {key} sum(CASE WHEN a.question_id IN (SELECT id FROM survey_questions
  WHERE is_overall) THEN 1 ELSE 0 END), sum(CASE WHEN a.value >= 4 AND a.question_id IN (SELECT id
  FROM survey_questions WHERE is_overall) THEN 1 ELSE 0 END), sum(CASE WHEN a.value >= 9 THEN 1
  ELSE 0 END), sum(CASE WHEN a.value <= 6 THEN 1 ELSE 0 END)
FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
WHERE r.period >= ? AND r.period <= ? {ward} {group}"""
COMPLAINT_FLOOR = """SELECT {key} count(DISTINCT CASE WHEN c.kind = 'complaint' THEN c.id END),
  count(DISTINCT CASE WHEN c.response_due_on >= ? AND c.response_due_on <= ? THEN c.id END),
  count(DISTINCT CASE WHEN c.kind = 'complaint' AND c.state NOT IN ('closed', 'withdrawn')
  THEN c.id END)
FROM complaints c JOIN complaint_wards w ON w.complaint_id = c.id
WHERE c.received_at >= ? AND c.received_at < ? {ward} {group}"""


def floor(conn, period, ward_id, quality: bool) -> None:
    """The survey and complaint aggregates the dashboard shows, as plain SQL."""
    prev = period.previous()
    trend_start = period.trend_months()[0]
    if has_table(conn, "survey_answers"):
        for start, end, by in ((period.start, period.end, "ward"), (prev.start, prev.end, None),
                               (trend_start, period.end, "month")):
            key = {"ward": "r.ward_id,", "month": "strftime('%Y-%m', r.period),", None: ""}[by]
            group = {"ward": "GROUP BY r.ward_id", "month": "GROUP BY 1", None: ""}[by]
            ward = f"AND r.ward_id = {int(ward_id)}" if ward_id else ""
            conn.execute(SURVEY_FLOOR.format(key=key, ward=ward, group=group),
                         (start.replace(day=1).isoformat(), end.isoformat())).fetchall()
    if has_table(conn, "complaints"):
        for start, end, by in ((period.start, period.end, "ward"), (prev.start, prev.end, None),
                               (trend_start, period.end, "month")):
            key = {"ward": "w.ward_id,", "month": "strftime('%Y-%m', c.received_at),",
                   None: ""}[by]
            group = {"ward": "GROUP BY w.ward_id", "month": "GROUP BY 1", None: ""}[by]
            ward = f"AND w.ward_id = {int(ward_id)}" if ward_id else ""
            conn.execute(COMPLAINT_FLOOR.format(key=key, ward=ward, group=group),
                         (start.isoformat(), end.isoformat(), start.isoformat(),
                          (end + timedelta(days=1)).isoformat())).fetchall()
        conn.execute("SELECT count(*), sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END) FROM"
                     " complaint_actions a JOIN complaint_wards w ON w.complaint_id ="
                     " a.complaint_id GROUP BY w.ward_id").fetchall()
        conn.execute("SELECT c.category_id, count(DISTINCT c.id) FROM complaints c WHERE"
                     " c.kind = 'complaint' AND c.received_at >= ? AND c.received_at < ?"
                     " GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
                     (period.start.isoformat(), period.end.isoformat())).fetchall()
        if quality:
            conn.execute("SELECT count(*), sum(CASE WHEN next_due_on < date('now') THEN 1 ELSE 0"
                         " END), sum(is_repeat) FROM complaints WHERE kind = 'complaint' AND"
                         " state NOT IN ('closed', 'withdrawn')").fetchall()
            conn.execute("SELECT * FROM complaints WHERE kind = 'complaint' AND state NOT IN"
                         " ('closed', 'withdrawn') ORDER BY next_due_on LIMIT 15").fetchall()
            conn.execute("SELECT * FROM complaint_actions WHERE status = 'open'"
                         " ORDER BY due_on LIMIT 15").fetchall()
