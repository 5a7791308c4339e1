"""Survey results page on a large data set, beside the same aggregates as raw SQL.

    python benchmarks/survey_results.py                      # 300,000 responses, ~3M answers
    python benchmarks/survey_results.py --responses 30000 --db /tmp/sv.sqlite3
    python benchmarks/survey_results.py --discharges 100000   # responses = 0.3 x discharges

A migrated SQLite database gets one benchmark template (10 questions: FFT-free 5-point
overall item, a 0–10 recommend item, 7 rated items in 5 dimensions, one text item answered
by 10 %) and N responses over the last 12 months across 8 wards and 4 channels, written
with executemany in large batches. Then the results page for that template over 12 months
(as quality staff, all wards) is requested through the app (median of --runs), and the
same GROUP BY queries scoring.results() issues are run as raw SQL on a plain sqlite3
connection: ratio = results_ms / floor_ms. Last line: key=value pairs.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, datetime

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

BENCH_CODE = "BENCH-RESULTS"
DIMS = ["服务态度", "健康教育", "响应及时", "技术水平", "病区环境", "服务态度", "健康教育"]


def months_back(n: int) -> list[date]:
    today = date.today().replace(day=1)
    out = []
    for i in range(n):
        y, m = divmod(today.year * 12 + today.month - 1 - i, 12)
        out.append(date(y, m + 1, 1))
    return out[::-1]


def build(path: str, responses: int, seed: int) -> None:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.surveys import editor
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "b" * 40})
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        wards = factories.wards(*[f"W{i:02d}" for i in range(1, 9)])
        tpl = editor.create_template(BENCH_CODE, "基准问卷", "Benchmark", "discharged_patient")
        questions = [{"kind": "scale5", "text_zh": "总体满意度", "is_overall": True}]
        questions.append({"kind": "scale11", "text_zh": "推荐意愿", "is_recommend": True})
        questions += [{"kind": "scale5", "text_zh": f"条目{i}", "dimension": d}
                      for i, d in enumerate(DIMS, start=1)]
        questions.append({"kind": "text", "text_zh": "意见"})
        for q in questions:
            editor.add_question(tpl, tpl.revision, q)
        db.session.commit()
        version_id = tpl.current.id
        qids = [q.id for q in tpl.current.questions]
        ward_ids = [w.id for w in wards]
        db.engine.dispose()

    rng = random.Random(seed)
    months = months_back(12)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    channels = ["phone"] * 5 + ["self"] * 3 + ["paper"] * 2
    rid = (con.execute("SELECT coalesce(max(id), 0) FROM survey_responses").fetchone()[0])
    batch_r, batch_a = [], []
    for _ in range(responses):
        rid += 1
        month = rng.choice(months)
        at = datetime(month.year, month.month, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        batch_r.append((rid, version_id, rng.choice(channels), rng.choice(ward_ids),
                        month.isoformat(), at.strftime("%Y-%m-%d %H:%M:%S.000000"), 1))
        base = rng.choices([5, 4, 3, 2, 1], weights=[50, 30, 12, 5, 3])[0]
        for i, qid in enumerate(qids):
            if i == 1:
                batch_a.append((rid, qid, float(min(10, max(0, base * 2 + rng.randint(-1, 0)))),
                                None))
            elif i == len(qids) - 1:
                if rng.random() < 0.1:
                    batch_a.append((rid, qid, None, rng.choice(["很好", "护士很耐心", "病房有点吵"])))
            else:
                batch_a.append((rid, qid, float(max(1, min(5, base + rng.randint(-1, 1)))), None))
        if len(batch_r) >= 20000:
            _flush(con, batch_r, batch_a)
    _flush(con, batch_r, batch_a)
    inv = [(f"{i:064x}", ward_ids[i % 8], months[i % 12].isoformat()) for i in range(responses // 5)]
    con.executemany(
        "INSERT INTO survey_invitations (token_hash, template_id, ward_id, period, created_at, "
        "expires_at) SELECT ?, id, ?, ?, '2026-01-01 00:00:00', '2026-02-01 00:00:00' "
        f"FROM survey_templates WHERE code = '{BENCH_CODE}'", inv)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _flush(con, batch_r, batch_a) -> None:
    con.executemany("INSERT INTO survey_responses (id, version_id, channel, ward_id, period, "
                    "answered_at, anonymous) VALUES (?, ?, ?, ?, ?, ?, ?)", batch_r)
    con.executemany("INSERT INTO survey_answers (response_id, question_id, value, text) "
                    "VALUES (?, ?, ?, ?)", batch_a)
    con.commit()
    batch_r.clear()
    batch_a.clear()


FLOOR_SQL = [
    "SELECT ward_id, period, channel, count(*) FROM survey_responses WHERE version_id IN ({v}) "
    "AND period >= :a AND period <= :b GROUP BY ward_id, period, channel",
    "SELECT a.question_id, a.value, a.choice, count(*) FROM survey_answers a JOIN "
    "survey_responses r ON r.id = a.response_id WHERE r.version_id IN ({v}) AND r.period >= :a "
    "AND r.period <= :b GROUP BY a.question_id, a.value, a.choice",
    "SELECT r.ward_id, r.period, r.channel, a.question_id, a.value, count(*) FROM survey_answers a "
    "JOIN survey_responses r ON r.id = a.response_id WHERE r.version_id IN ({v}) AND r.period >= :a "
    "AND r.period <= :b AND a.question_id IN ({o}) "
    "GROUP BY r.ward_id, r.period, r.channel, a.question_id, a.value",
    "SELECT count(*) FROM survey_invitations WHERE template_id = :t AND period >= :a AND period <= :b",
    "SELECT count(*) FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
    "WHERE r.version_id IN ({v}) AND r.period >= :a AND r.period <= :b "
    "AND a.question_id IN ({x}) AND a.text IS NOT NULL",
    "SELECT a.text, r.answered_at FROM survey_answers a JOIN survey_responses r ON "
    "r.id = a.response_id WHERE r.version_id IN ({v}) AND r.period >= :a AND r.period <= :b "
    "AND a.question_id IN ({x}) AND a.text IS NOT NULL "
    "ORDER BY r.answered_at DESC, a.id DESC LIMIT 20",
]


def floor_ms(path: str, runs: int) -> float:
    con = sqlite3.connect(path)
    t, = con.execute(f"SELECT id FROM survey_templates WHERE code = '{BENCH_CODE}'").fetchone()
    v = ",".join(str(r[0]) for r in con.execute(
        "SELECT id FROM survey_versions WHERE template_id = ?", (t,)))
    o = ",".join(str(r[0]) for r in con.execute(
        f"SELECT id FROM survey_questions WHERE version_id IN ({v}) AND is_overall"))
    x = ",".join(str(r[0]) for r in con.execute(
        f"SELECT id FROM survey_questions WHERE version_id IN ({v}) AND kind = 'text'"))
    months = months_back(12)
    args = {"a": months[0].isoformat(), "b": months[-1].isoformat(), "t": t}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for sql in FLOOR_SQL:
            con.execute(sql.format(v=v, o=o, x=x), args).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    con.close()
    return statistics.median(times)


def app_ms(path: str, runs: int) -> tuple[float, int]:
    from portal import create_app
    from portal.extensions import db
    from portal.surveys.models import SurveyTemplate
    from tests.conftest import sign_in_session
    from tests.factories import user

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "b" * 40,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    months = months_back(12)
    with app.app_context():
        quality = user("quality", username=f"bench{int(time.time() * 1000)}")
        db.session.commit()
        tid = db.session.scalar(db.select(SurveyTemplate.id).where(
            SurveyTemplate.code == BENCH_CODE))
        client = app.test_client()
        sign_in_session(client, quality)
    url = (f"/surveys?template={tid}&from={months[0]:%Y-%m}&to={months[-1]:%Y-%m}")
    times, status = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        status = resp.status_code
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file to reuse (built when missing)")
    parser.add_argument("--responses", type=int, default=None)
    parser.add_argument("--discharges", type=int, default=None,
                        help="scale: responses = 0.3 x discharges (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    opts = parser.parse_args()
    responses = opts.responses or int(0.3 * (opts.discharges or 1_000_000))
    path = opts.db or f"/tmp/careloop-survey-bench-{responses}.sqlite3"
    built = 0.0
    if not os.path.exists(path):
        start = time.perf_counter()
        build(path, responses, opts.seed)
        built = time.perf_counter() - start
    con = sqlite3.connect(path)
    n_resp, = con.execute("SELECT count(*) FROM survey_responses").fetchone()
    n_ans, = con.execute("SELECT count(*) FROM survey_answers").fetchone()
    con.close()
    app_time, status = app_ms(path, opts.runs)
    floor = floor_ms(path, opts.runs)
    print(f"responses={n_resp} answers={n_ans} build_s={built:.1f} status={status} "
          f"results_ms={app_time:.0f} floor_ms={floor:.0f} ratio={app_time / floor:.2f}")


if __name__ == "__main__":
    main()
