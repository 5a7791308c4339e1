"""The one discharge import service, used by the import page and `flask import-discharges`.

Two streaming passes over the file, so memory does not grow with its size:

1. validate every row, keeping only counts and the problems found (the first
   MAX_KEPT in memory, all of them in an optional JSON-lines file);
2. if no row is bad (or the user chose "valid rows only"), read the file again and
   write it in chunks: one set-based lookup of patients and discharges per chunk,
   bulk inserts for new patients, discharges and their follow-up tasks.

Re-importing adds nothing: a discharge is the same when MRN, ward and discharge date
are. A stored patient whose name differs from the file's is reported, never
overwritten. Parsing and validating one row lives in `import_rows`.
"""
from __future__ import annotations

import json
import marshal
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import bindparam, select, text, update

from portal.audit import services as audit
from portal.db import utcnow
from portal.extensions import db
from portal.followups import tasks
from portal.followups.bulk import bulk_insert
from portal.followups.import_rows import MSG_NAME_DIFFERS, Issue, Row, Validator
from portal.followups.models import Discharge, ImportBatch, Patient
from portal.followups.phones import mark as _l
from portal.followups.reading import ImportFileError, open_table

__all__ = ["ImportFileError", "ImportResult", "Issue", "import_file"]

CHUNK = 5000
MAX_KEPT = 1000          # problems kept in memory; all go to the issues file
PROGRESS_EVERY = 1000    # rows between progress reports


@dataclass
class ImportResult:
    filename: str = ""
    rows_total: int = 0
    rejected: int = 0       # rows with at least one error
    warnings: int = 0       # rows stored with a warning (no phone)
    added: int = 0
    duplicates: int = 0
    name_mismatches: int = 0
    tasks_created: int = 0
    imported: bool = False  # False: nothing written (bad rows and not "valid rows only")
    valid_only: bool = False
    batch_id: int | None = None
    issues: list[Issue] = field(default_factory=list)
    issues_total: int = 0

    @property
    def valid(self) -> int:
        return self.rows_total - self.rejected

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        data = dict(data)
        data["issues"] = [Issue(**i) for i in data.get("issues", [])]
        return cls(**data)



class _Issues:
    """Keeps the first MAX_KEPT problems and writes all of them to a JSON-lines file."""

    def __init__(self, result: ImportResult, path: str | None):
        self.result = result
        self.file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115

    def add(self, issue: Issue) -> None:
        self.result.issues_total += 1
        if len(self.result.issues) < MAX_KEPT:
            self.result.issues.append(issue)
        if self.file:
            self.file.write(json.dumps(asdict(issue), ensure_ascii=False) + "\n")

    def close(self):
        if self.file:
            self.file.close()


Progress = Callable[[str, float], None]


def import_file(path: str, *, user, filename: str = "", valid_only: bool = False,
                allowed_ward_ids=None, issues_path: str | None = None,
                progress: Progress | None = None, today: date | None = None,
                commit: Callable[[], None] | None = None) -> ImportResult:
    """Validate the file, then write it unless a row is bad (or `valid_only`).

    `allowed_ward_ids`: rows for other wards are refused (None: every ward).
    `progress(phase, fraction)` is called now and then with phase "validate" or "write".
    Raises ImportFileError when the file as a whole cannot be read. Flushes, never commits,
    unless given `commit`: then it ends its transaction after reading the wards and after
    each written chunk, so a long import does not hold SQLite's write lock for minutes
    (nurses logging calls meanwhile would wait). Every row is validated before the first
    chunk is written; should the process die mid-write, importing the file again adds
    just the missing rows.
    The valid rows of the first pass wait in a temporary spool file (not in memory) for
    the second, so the file is parsed once.
    """
    result = ImportResult(filename=filename, valid_only=valid_only)
    report = progress or (lambda phase, fraction: None)
    sink = _Issues(result, issues_path)
    try:
        with tempfile.TemporaryFile() as spool:
            name_header = _validate(path, result, sink, spool, allowed_ward_ids, today, report,
                                    commit)
            if result.rows_total == 0:
                raise ImportFileError(_l("The file has no data rows."))
            report("validate", 1.0)
            if result.rejected and not valid_only:
                return result
            spool.seek(0)
            _write(spool, result, sink, user, name_header, report, commit)
    finally:
        sink.close()
    return result


def _validate(path, result, sink, spool, allowed_ward_ids, today, report, commit) -> str:
    dump = marshal.dump
    with open_table(path) as table:
        validator = Validator(table.columns, allowed_ward_ids, today)
        if commit:
            commit()  # the wards are read: hold no transaction while validating
        for n, (line, values) in enumerate(table.rows, start=1):
            row, problems = validator.parse(line, values)
            result.rows_total += 1
            if row is None:
                result.rejected += 1
            else:
                dump(_pack(row), spool)
                if problems:
                    result.warnings += 1
            for issue in problems:
                sink.add(issue)
            if n % PROGRESS_EVERY == 0:
                report("validate", table.position())
    return validator.headers.get("name", "")


def _ordinal(value: date | None) -> int | None:
    return value.toordinal() if value is not None else None


def _day(value: int | None) -> date | None:
    return date.fromordinal(value) if value is not None else None


def _pack(row: Row) -> tuple:
    return (row.line, row.mrn, row.name, row.sex, _ordinal(row.birth_date), row.age_years,
            row.phone, row.phone2, row.ward_id, _ordinal(row.admitted_on),
            row.discharged_on.toordinal(), row.diagnosis, row.nurse)


def _unpack(spool):
    load = marshal.load
    while True:
        try:
            v = load(spool)
        except EOFError:
            return
        yield Row(v[0], v[1], v[2], v[3], _day(v[4]), v[5], v[6], v[7], v[8], _day(v[9]),
                  date.fromordinal(v[10]), v[11], v[12])


def _write(spool, result, sink, user, name_header, report, commit) -> None:
    if db.engine.dialect.name == "sqlite":
        # 16 MB of page cache (default 2 MB) for this connection: index inserts stop
        # re-reading pages once the tables outgrow the default; bounded, whatever the file
        db.session.execute(text("PRAGMA cache_size=-16384"))
    batch = ImportBatch(user_id=user.id if user is not None else None, filename=result.filename[:255])
    db.session.add(batch)
    db.session.flush()
    result.batch_id = batch.id
    writer = _ChunkWriter(batch.id, result, sink, name_header)
    valid = max(result.rows_total - result.rejected, 1)
    chunk: list[Row] = []
    for n, row in enumerate(_unpack(spool), start=1):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            writer.write(chunk)
            chunk = []
            if commit:
                commit()
        if n % PROGRESS_EVERY == 0:
            report("write", n / valid)
    if chunk:
        writer.write(chunk)
    result.imported = True
    batch.rows_total = result.rows_total
    batch.added, batch.duplicates = result.added, result.duplicates
    batch.rejected, batch.warnings = result.rejected, result.warnings
    audit.record("discharges.imported", batch, user=user, rows=result.rows_total,
                 added=result.added, duplicates=result.duplicates, rejected=result.rejected,
                 warnings=result.warnings, name_mismatches=result.name_mismatches,
                 tasks=result.tasks_created, valid_only=result.valid_only)
    report("write", 1.0)


class _ChunkWriter:
    """Writes validated rows a chunk at a time: a few set-based queries, bulk inserts."""

    def __init__(self, batch_id: int, result: ImportResult, sink: _Issues, name_header: str):
        self.batch_id = batch_id
        self.name_header = name_header
        self.result = result
        self.sink = sink
        self.rules = tasks.active_rules_by_ward()
        self.last_discharge_id = 0

    def write(self, rows: list[Row]) -> None:
        patients = self._patients(rows)
        existing = {(p, w, d) for p, w, d in db.session.execute(
            select(Discharge.patient_id, Discharge.ward_id, Discharge.discharged_on)
            .where(Discharge.patient_id.in_(set(patients.values()))))}
        now = utcnow()
        new = []
        for row in rows:
            key = (patients[row.mrn], row.ward_id, row.discharged_on)
            if key in existing:
                self.result.duplicates += 1
                continue
            existing.add(key)
            new.append({"patient_id": key[0], "ward_id": row.ward_id, "admitted_on": row.admitted_on,
                        "discharged_on": row.discharged_on, "diagnosis": row.diagnosis,
                        "attending_nurse": row.nurse, "import_batch_id": self.batch_id,
                        "created_at": now})
        if not new:
            return
        bulk_insert(Discharge.__table__, new)
        self.result.added += len(new)
        created = db.session.execute(
            select(Discharge.id, Discharge.ward_id, Discharge.discharged_on)
            .where(Discharge.import_batch_id == self.batch_id, Discharge.id > self.last_discharge_id)
            .order_by(Discharge.id)).all()
        self.last_discharge_id = created[-1][0]
        self.result.tasks_created += tasks.create_tasks(created, self.rules)

    def _patients(self, rows: list[Row]) -> dict[str, int]:
        """MRN -> patient id for the chunk: inserts new patients, reports differing names."""
        stored = {mrn: (pid, name, phone) for pid, mrn, name, phone in db.session.execute(
            select(Patient.id, Patient.mrn, Patient.name, Patient.phone)
            .where(Patient.mrn.in_({r.mrn for r in rows})))}
        now = utcnow()
        new: dict[str, dict] = {}
        phone_updates: dict[int, dict] = {}
        for row in rows:
            known = stored.get(row.mrn)
            first = new.get(row.mrn)
            name = known[1] if known else (first["name"] if first else None)
            if name is not None and name != row.name:
                self.result.name_mismatches += 1
                self.sink.add(Issue("name", row.line, self.name_header, MSG_NAME_DIFFERS))
            if known is None and first is None:
                new[row.mrn] = {"mrn": row.mrn, "name": row.name, "sex": row.sex,
                                "birth_date": row.birth_date, "age_years": row.age_years,
                                "phone": row.phone, "phone2": row.phone2, "consent": True,
                                "created_at": now, "updated_at": now}
            elif known is not None and known[2] is None and row.phone:
                # a number arrives for a patient stored without one: the calls can now be made
                phone_updates[known[0]] = {"pid": known[0], "phone": row.phone,
                                           "phone2": row.phone2, "now": now}
        if new:
            bulk_insert(Patient.__table__, list(new.values()))
            for pid, mrn in db.session.execute(
                    select(Patient.id, Patient.mrn).where(Patient.mrn.in_(new.keys()))):
                stored[mrn] = (pid, "", "")
        if phone_updates:
            table = Patient.__table__
            db.session.connection().execute(
                update(table).where(table.c.id == bindparam("pid"))
                .values(phone=bindparam("phone"), phone2=bindparam("phone2"),
                        updated_at=bindparam("now")), list(phone_updates.values()))
        return {mrn: value[0] for mrn, value in stored.items()}
