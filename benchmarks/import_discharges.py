"""Discharge import benchmark: a generated GBK CSV imported through the import service.

    python benchmarks/import_discharges.py                       # 10,000 and 100,000 rows, SQLite
    python benchmarks/import_discharges.py --discharges 50000 --db /tmp/imp.sqlite3
    python benchmarks/import_discharges.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Each size runs in its own process (a fresh peak-memory figure) against a migrated database
(created when missing; `--db PATH` keeps and reuses it; every run uses new MRNs so nothing is a
duplicate). Prints rows per second and the peak resident memory of the importing process, first
for a tenth of the size, then for the size; the last line holds key=value pairs. Aim: >= 10,000
rows/s, and peak memory that does not grow with the file.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = "病案号,患者姓名,性别,年龄,手机号码,科室名称,病区代码,入院时间,出院时间,出院诊断,责任护士"
WARDS = [("W01", "心内科一病区"), ("W02", "呼吸内科病区"), ("W03", "普外科病区"), ("W04", "骨科病区"),
         ("W05", "妇产科病区"), ("W06", "儿科病区"), ("W07", "神经内科病区"), ("W08", "肿瘤科病区")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["丽娟", "桂兰", "淑珍", "建国", "俊杰", "国华", "玉梅", "子涵", "志强", "海燕", "德明", "文博"]
DIAGNOSES = ["支气管肺炎", "急性阑尾炎", "冠状动脉粥样硬化性心脏病", "股骨颈骨折", "2型糖尿病", "脑梗死"]


def make_csv(path: Path, rows: int, seed: int, mrn_base: int) -> None:
    rng = random.Random(seed)
    today = date.today()
    with path.open("w", encoding="gbk", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for i in range(rows):
            code, ward = rng.choice(WARDS)
            discharged = today - timedelta(days=rng.randint(1, 300))
            admitted = discharged - timedelta(days=rng.randint(1, 20))
            r = rng.random()
            mobile = f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
            if r < 0.02:
                phone = ""
            elif r < 0.1:
                phone = f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
            elif r < 0.15:
                phone = f"0371-6{rng.randint(0, 9999999):07d}"
            elif r < 0.2:
                phone = f"{mobile}/0371-6{rng.randint(0, 9999999):07d}"
            else:
                phone = mobile
            out = (discharged.strftime("%Y-%m-%d 10:22:00") if r < 0.5 else
                   f"{discharged.year}/{discharged.month}/{discharged.day}" if r < 0.8 else
                   f"{discharged.year}年{discharged.month}月{discharged.day}日")
            age = f"{rng.randint(1, 95)}" + ("岁" if rng.random() < 0.3 else "")
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            fh.write(f"{mrn_base + i},{name},{rng.choice('男女')},{age},{phone},{ward},{code},"
                     f"{admitted.isoformat()} 09:30:00,{out},{rng.choice(DIAGNOSES)},李娜\r\n")


def prepare_database(url: str) -> None:
    """Migrate, and add the wards and two rules per ward, unless already there."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.followups.models import FollowUpRule
    from portal.wards.models import Ward

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        have = set(db.session.scalars(select(Ward.code)))
        for code, name in WARDS:
            if code not in have:
                ward = Ward(code=code, name=name)
                db.session.add(ward)
                db.session.add(FollowUpRule(ward=ward, label="D+3", days_after=3, window_days=2))
                db.session.add(FollowUpRule(ward=ward, label="D+30", days_after=30, window_days=5))
        db.session.commit()


def worker(url: str, csv_path: str) -> None:
    """Import one file; print seconds, rows, peak RSS (this process only)."""
    from portal import create_app
    from portal.extensions import db
    from portal.followups.importer import import_file

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu = time.perf_counter(), time.process_time()
        result = import_file(csv_path, user=None, filename=os.path.basename(csv_path))
        db.session.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.imported and result.rejected == 0, result.issues[:3]
    print(f"seconds={seconds:.3f} cpu_seconds={cpu:.3f} rows={result.rows_total} added={result.added} "
          f"tasks={result.tasks_created} peak_rss_kb={peak} base_rss_kb={before}")


def run_size(url: str, rows: int, workdir: Path, seed: int) -> dict:
    csv_path = workdir / f"discharges-{rows}.csv"
    mrn_base = int(time.time() * 1000) % 10**9 * 100 + rows  # fresh MRNs on a reused database
    make_csv(csv_path, rows, seed, mrn_base)
    out = subprocess.run([sys.executable, __file__, "--worker", str(csv_path), "--database-url", url],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in out.split())
    seconds, done = float(figures["seconds"]), int(figures["rows"])
    cpu = float(figures["cpu_seconds"])
    result = {"rows": done, "seconds": round(seconds, 2), "rows_per_s": round(done / seconds),
              "cpu_rows_per_s": round(done / cpu),
              "peak_rss_mb": round(int(figures["peak_rss_kb"]) / 1024, 1),
              "import_rss_growth_mb": round((int(figures["peak_rss_kb"]) -
                                             int(figures["base_rss_kb"])) / 1024, 1),
              "size_mb": round(csv_path.stat().st_size / 2**20, 1)}
    print(f"{done:>8} rows ({result['size_mb']} MB GBK): {result['seconds']} s, "
          f"{result['rows_per_s']} rows/s ({result['cpu_rows_per_s']} per CPU second), peak RSS {result['peak_rss_mb']} MB "
          f"(+{result['import_rss_growth_mb']} MB during the import)", flush=True)
    csv_path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discharges", type=int, default=100_000, help="rows in the large file")
    parser.add_argument("--db", help="SQLite file to create or reuse")
    parser.add_argument("--database-url", help="a database URL (PostgreSQL) instead of --db")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.database_url, args.worker)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{Path(args.db or workdir / 'bench.sqlite3').resolve()}"
        prepare_database(url)
        small = run_size(url, max(args.discharges // 10, 1), workdir, args.seed)
        large = run_size(url, args.discharges, workdir, args.seed + 1)
    growth = large["peak_rss_mb"] / small["peak_rss_mb"] if small["peak_rss_mb"] else 0
    print(f"rows={large['rows']} rows_per_s={large['rows_per_s']} "
          f"cpu_rows_per_s={large['cpu_rows_per_s']} peak_rss_mb={large['peak_rss_mb']} "
          f"small_rows={small['rows']} small_rows_per_s={small['rows_per_s']} "
          f"small_peak_rss_mb={small['peak_rss_mb']} peak_ratio={growth:.2f} "
          f"database={url.split(':')[0]}")


if __name__ == "__main__":
    main()
