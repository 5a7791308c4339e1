"""Bulk generator for the dashboard benchmark: N discharges over 3 years (or `years`) ending yesterday,
two ward follow-up tasks each (D+3, D+30) and their call attempts, inserted with executemany
on the raw SQLite connection (the ORM would take hours at a million rows).

Survey responses and complaint cases: benchmarks/dashboard_extra.py (when those tables exist).
"""
from __future__ import annotations

import random
from datetime import date, timedelta

OUTCOMES = ("reached_patient", "reached_patient", "reached_family", "no_answer", "busy",
            "no_answer", "wrong_number", "refused")
STAMP = "2024-01-01 00:00:00.000000"


def generate(conn, n: int, ward_ids: list[int], nurse_id: int, today: date, seed: int = 1,
             years: int = 3):
    rng = random.Random(seed)
    first = today - timedelta(days=years * 365)
    span = (today - first).days
    batch = 50_000
    pid = did = tid = aid = 0
    for start in range(0, n, batch):
        patients, discharges, tasks, attempts = [], [], [], []
        for _ in range(min(batch, n - start)):
            pid += 1
            did += 1
            ward = ward_ids[rng.randrange(len(ward_ids))]
            on = first + timedelta(days=rng.randrange(span))
            patients.append((pid, f"B{pid:09d}", f"患者{pid}", "U", f"139{pid:08d}"[:11], 1,
                             STAMP, STAMP))
            discharges.append((did, pid, ward, on.isoformat(), "", "", STAMP))
            for days in (3, 30):
                tid += 1
                due = on + timedelta(days=days)
                status, outcome, tries = "pending", None, 0
                if due < today:
                    tries = rng.choice((0, 1, 1, 1, 2, 3))
                    for k in range(tries):
                        outcome = rng.choice(OUTCOMES)
                        aid += 1
                        attempts.append((aid, tid, nurse_id, f"{due.isoformat()} 0{k + 1}:00:00.000000",
                                         outcome, "", "", "", f"b{aid}"))
                        if outcome not in ("no_answer", "busy"):
                            break
                    tries = min(tries, k + 1) if tries else 0
                    if outcome in ("no_answer", "busy"):
                        status = "lost" if tries >= 3 else "pending"
                    elif outcome:
                        status = "completed"
                elif rng.random() < 0.03:
                    status = "cancelled"
                tasks.append((tid, did, ward, "ward", due.isoformat(),
                              (due + timedelta(days=2)).isoformat(), status, tries, outcome, STAMP, 1))
        conn.executemany("INSERT INTO patients (id, mrn, name, sex, phone, consent, created_at,"
                         " updated_at) VALUES (?,?,?,?,?,?,?,?)", patients)
        conn.executemany("INSERT INTO discharges (id, patient_id, ward_id, discharged_on, diagnosis,"
                         " attending_nurse, created_at) VALUES (?,?,?,?,?,?,?)", discharges)
        conn.executemany("INSERT INTO followup_tasks (id, discharge_id, ward_id, kind, due_on,"
                         " window_end, status, attempts, last_outcome, created_at, version)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?)", tasks)
        conn.executemany("INSERT INTO call_attempts (id, task_id, nurse_id, at, outcome, concerns,"
                         " compliments, notes, idempotency_key) VALUES (?,?,?,?,?,?,?,?,?)", attempts)
        conn.commit()
    conn.commit()
