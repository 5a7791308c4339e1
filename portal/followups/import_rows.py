"""One row of a discharge export: parsing HIS-style values and validating them.

`Validator.parse` turns a row's cells into a `Row` or a list of `Issue`s. Messages are kept
as untranslated ids with parameters (the import also runs in the CLI and in a background
thread, where there is no request language); `Issue.text()` translates them where shown.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.followups.phones import mark as _l
from portal.followups.phones import parse_phones
from portal.timeutil import local_today
from portal.wards.models import Ward

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
