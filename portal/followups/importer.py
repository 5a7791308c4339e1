"""The one discharge import service, used by the import page and `flask import-discharges`.

Two streaming passes over the file, so memory does not grow with its size:

1. validate every row, keeping only counts and the problems found (the first
   MAX_KEPT in memory, all of them in an optional JSON-lines file);
2. if no row is bad (or the user chose "valid rows only"), read the file again and
   write it in chunks: one set-based lookup of patients and discharges per chunk,
   bulk inserts for new patients, discharges and their follow-up tasks.

Re-importing adds nothing: a discharge is the same when MRN, ward and discharge date
are. A stored patient whose name differs from the file's is reported, never
overwritten. Messages are kept as untranslated ids with parameters (the import also
runs in the CLI and in a background thread, where there is no request language);
`Issue.text()` translates them where they are shown.
"""
from __future__ import annotations

import json
import marshal
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, text, update

from portal.audit import services as audit
from portal.db import utcnow
from portal.extensions import db
from portal.followups import tasks
from portal.followups.bulk import bulk_insert
from portal.followups.models import Discharge, ImportBatch, Patient
from portal.followups.phones import mark as _l
from portal.followups.phones import parse_phones
from portal.followups.reading import ImportFileError, open_table
from portal.timeutil import local_today
from portal.wards.models import Ward

__all__ = ["ImportFileError", "ImportResult", "Issue", "import_file"]

CHUNK = 5000
MAX_KEPT = 1000          # problems kept in memory; all go to the issues file
PROGRESS_EVERY = 1000    # rows between progress reports

MSG_REQUIRED = _l("a value is required")
MSG_NOT_DATE = _l("not a date: %(value)s")
MSG_FUTURE = _l("the discharge date %(value)s is in the future")
MSG_BEFORE_ADMISSION = _l("the discharge date is before the admission date %(value)s")
MSG_BIRTH_FUTURE = _l("the birth date %(value)s is in the future")
MSG_UNKNOWN_WARD = _l("unknown ward code: %(value)s")
MSG_INACTIVE_WARD = _l("ward %(value)s is no longer active")
MSG_NOT_YOUR_WARD = _l("ward %(value)s is not one of your wards")
MSG_SEX = _l("sex must be 男/女 (M/F): %(value)s")
MSG_AGE = _l("age must be a number of years such as 65 or 65岁: %(value)s")
MSG_PHONE = _l("%(reason)s: %(value)s")
MSG_TOO_LONG = _l("too long (at most %(max)d characters)")
MSG_NO_PHONE = _l("no phone number: the follow-up cannot be called until one is added")
MSG_NAME_DIFFERS = _l("the name differs from the stored patient with this MRN; the stored name was kept")

SEX = {"男": "M", "m": "M", "male": "M", "1": "M", "女": "F", "f": "F", "female": "F", "2": "F",
       "": "U", "未知": "U", "未说明": "U", "不详": "U", "u": "U", "unknown": "U", "0": "U", "9": "U"}
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
AGE_RE = re.compile(r"(\d{1,3})\s*(?:岁|周岁|y|yr|yrs|years?)?")
INFANT_RE = re.compile(r"\d{1,3}\s*(?:个月|月|天|日|周)")
EXCEL_EPOCH = date(1899, 12, 30)
LIMITS = {"mrn": 32, "name": 64, "diagnosis": 200, "nurse": 64}


@dataclass
class Issue:
    kind: str        # error | warning | name
    row: int
    column: str      # the header as written in the file
    message: str     # untranslated message id
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        from flask_babel import gettext

        params = {k: (gettext(v) if k == "reason" else v) for k, v in self.params.items()}
        return gettext(self.message, **params)

    def english(self) -> str:
        return self.message % self.params if self.params else self.message


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


@dataclass
class Row:
    line: int
    mrn: str
    name: str
    sex: str
    birth_date: date | None
    age_years: int | None
    phone: str | None
    phone2: str | None
    ward_id: int
    admitted_on: date | None
    discharged_on: date
    diagnosis: str
    nurse: str


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # NFKC (full-width digits and letters) only when there is something to fold
        return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_date(value) -> date:
    """Dates as HIS exports write them; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 80000:  # an Excel serial day number
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(value)
    text = _text(value)
    m = DATE_RE.fullmatch(text) or COMPACT_DATE_RE.fullmatch(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if text.isdigit() and len(text) == 5:
        return EXCEL_EPOCH + timedelta(days=int(text))
    raise ValueError(text)


def parse_age(value) -> int | None:
    text = _text(value).lower()
    if not text:
        return None
    m = AGE_RE.fullmatch(text)
    if m and int(m.group(1)) <= 130:
        return int(m.group(1))
    if INFANT_RE.fullmatch(text):
        return 0
    raise ValueError(text)


class Validator:
    """Parses one row into a Row, collecting its problems; knows the wards once."""

    def __init__(self, columns, allowed_ward_ids=None, today: date | None = None):
        self.columns = columns
        self.allowed = set(allowed_ward_ids) if allowed_ward_ids is not None else None
        self.today = today or local_today()
        self.wards: dict[str, tuple[int, bool, str]] = {}
        for ward_id, code, name, active in db.session.execute(
                select(Ward.id, Ward.code, Ward.name, Ward.active)):
            self.wards.setdefault(code.upper(), (ward_id, active, code))
            self.wards.setdefault(unicodedata.normalize("NFKC", name).strip(), (ward_id, active, code))
        idx = columns.index
        positions = {f: idx.get(f) for f in (
            "mrn", "name", "sex", "birth_date", "age", "phone", "admitted_on", "discharged_on",
            "diagnosis", "nurse")}
        positions["ward"] = idx[columns.ward_field]
        self.slots = tuple(positions.items())
        self.has_age = positions["age"] is not None
        self.headers = dict(columns.header)
        self.headers["ward"] = columns.header[columns.ward_field]
        # exports repeat the same dates, ages and wards: parse each distinct text once
        self._dates: dict = {}
        self._ages: dict = {}

    def parse(self, line: int, values: list) -> tuple[Row | None, list[Issue]]:
        issues: list[Issue] = []
        n = len(values)
        v = {f: (values[i] if i is not None and i < n else None) for f, i in self.slots}
        headers = self.headers

        def error(fieldname, message, **params):
            issues.append(Issue("error", line, headers.get(fieldname, fieldname), message, params))

        mrn, name = _text(v["mrn"]), " ".join(_text(v["name"]).split())
        diagnosis, nurse = _text(v["diagnosis"]), _text(v["nurse"])
        for fieldname, value in (("mrn", mrn), ("name", name), ("diagnosis", diagnosis),
                                 ("nurse", nurse)):
            if len(value) > LIMITS[fieldname]:
                error(fieldname, MSG_TOO_LONG, max=LIMITS[fieldname])
        if not mrn:
            error("mrn", MSG_REQUIRED)
        if not name:
            error("name", MSG_REQUIRED)

        ward_id = self._ward(_text(v["ward"]), error)
        sex_text = _text(v["sex"])
        sex = SEX.get(sex_text.lower())
        if sex is None:
            error("sex", MSG_SEX, value=sex_text)
        birth_date = self._date("birth_date", v, error)
        if birth_date and birth_date > self.today:
            error("birth_date", MSG_BIRTH_FUTURE, value=birth_date.isoformat())
        age = None
        if self.has_age:
            age = self._age(v["age"], error)
        admitted = self._date("admitted_on", v, error)
        discharged = self._date("discharged_on", v, error, required=True)
        if discharged:
            if discharged > self.today:
                error("discharged_on", MSG_FUTURE, value=discharged.isoformat())
            elif admitted and discharged < admitted:
                error("discharged_on", MSG_BEFORE_ADMISSION, value=admitted.isoformat())
        phones = parse_phones(v["phone"])
        if phones.error:
            error("phone", MSG_PHONE, reason=phones.error, value=_text(v["phone"]))
        if issues:
            return None, issues
        if phones.phone is None:
            issues.append(Issue("warning", line, headers.get("phone", "phone"), MSG_NO_PHONE))
        return Row(line, mrn, name, sex, birth_date, age, phones.phone, phones.phone2, ward_id,
                   admitted, discharged, diagnosis, nurse), issues

    def _memo(self, cache: dict, key, parse):
        try:
            return cache[key]
        except KeyError:
            pass
        except TypeError:  # not hashable: never for cell values, but be safe
            return parse(key)
        if len(cache) > 20_000:  # bounded: memory must not grow with the file
            cache.clear()
        try:
            value = parse(key)
        except (ValueError, OverflowError) as e:
            value = e
        cache[key] = value
        return value

    def _age(self, raw, error):
        value = self._memo(self._ages, raw, parse_age)
        if isinstance(value, Exception):
            error("age", MSG_AGE, value=_text(raw))
            return None
        return value

    def _date(self, name, v, error, required=False):
        value = v[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                error(name, MSG_REQUIRED)
            return None
        parsed = self._memo(self._dates, value, parse_date)
        if isinstance(parsed, Exception):
            error(name, MSG_NOT_DATE, value=_text(value))
            return None
        return parsed

    def _ward(self, text, error):
        if not text:
            error("ward", MSG_REQUIRED)
            return None
        found = self.wards.get(text.upper()) or self.wards.get(text)
        if found is None:
            error("ward", MSG_UNKNOWN_WARD, value=text)
            return None
        ward_id, active, code = found
        if not active:
            error("ward", MSG_INACTIVE_WARD, value=code)
        elif self.allowed is not None and ward_id not in self.allowed:
            error("ward", MSG_NOT_YOUR_WARD, value=code)
        return ward_id


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
