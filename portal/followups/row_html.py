"""A worklist row and a patient's phone as HTML, written in Python.

The worklist is the page nurses keep open all day, and benchmarks/worklist.py holds it to
twice the time of its SQL. Written by Jinja, a row (thirty escaped outputs and a macro call
for the phone) cost more than SQLite needed for the whole page's queries; written here, the
same markup costs a quarter of that. followups/_rows.html keeps the rest of a task's
<tbody> (call form, messages, complaint links), which is rendered for one task at a time.

The rules that keep this safe: every text value passes `_e()` (names, diagnoses,
numbers, translated labels and formats): templating.escape_str, markupsafe's escaping as
a plain str that the row wraps in Markup once (an escape() per value built a Markup each
time: twenty per row);
ids, counts and dates are formatted by Python; URLs come from url_for patterns
(templating.url_pattern).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup

from portal.followups.worklist import age_at
from portal.privacy import mask_phone
from portal.templating import escape_str as _e
from portal.templating import local_datetime

PENDING_ROW = (' tabindex="0" data-pending="1" aria-keyshortcuts="1 2 3 4 5 6 7 8 Enter"'
               ' aria-describedby="worklist-keys"')


class RowHtml:
    """Writes the rows and phones of one page; what every row shares is prepared once.

    labels: worklist_forms.labels(); urls: the row URL patterns (attempt, patient, reveal);
    csrf: this session's token; today: the local day; new_key: the idempotency keys.
    """

    def __init__(self, labels, urls, csrf: str, today: date, new_key: Callable[[], str]):
        self.labels, self.urls, self.today, self.new_key = labels, urls, today, new_key
        self.csrf = _e(csrf)
        self.cols = {k: _e(v) for k, v in vars(labels.cols).items()}
        self.show_number, self.no_number = _e(labels.show_number), _e(labels.no_number)
        self._second_level = None

    def phone(self, patient_id: int, number: str | None, number2: str | None,
              revealed: bool = False, back: str = "") -> Markup:
        """The numbers in full (tel: links), or masked with a reveal button (POST, audited)."""
        return Markup(self._phone(patient_id, number, number2, revealed, _e(back)))

    def _phone(self, patient_id, number, number2, revealed: bool, back: str) -> str:
        """phone() as a str; `back` already escaped."""
        if revealed:
            links = " / ".join(f'<a href="tel:{_e(n)}">{_e(n)}</a>'
                               for n in (number, number2) if n)
            return f'<span class="phone">\n  {links}\n</span>'
        if not (number or number2):
            return (f'<span class="phone">\n  <span class="muted">{self.no_number}</span>'
                    '\n</span>')
        masked = " / ".join(_e(mask_phone(n)) for n in (number, number2) if n)
        url = self.urls.reveal.format(int(patient_id))
        return (
            f'<span class="phone">\n  <span>{masked}</span>\n'
            f'  <form method="post" action="{url}" class="inline-form" hx-post="{url}"'
            ' hx-target="closest .phone" hx-swap="outerHTML">\n'
            f'    <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
            f'    <input type="hidden" name="next" value="{back}">\n'
            f'    <button type="submit" class="link-button">{self.show_number}</button>\n'
            '  </form>\n</span>')

    def row(self, row, back: str, buttons: Markup, call_form: bool = False) -> Markup:
        """The task's <tr>: patient, phone, ward, dates, attempts, and the outcome buttons
        (a form with a fresh idempotency key) or the status it was closed with."""
        labels, c, task_id = self.labels, self.cols, int(row.id)
        fmt = labels.fmt
        pending = row.status == "pending" and not call_form
        age = age_at(row, row.discharged_on)
        who = _e(labels.sexes[row.sex])
        if age is not None:
            who += " · " + _e(fmt.age % {"n": age})
        if row.kind == "quality":
            who += f'</span>\n      <span class="badge warn">{_e(self._second())}'
        due = _e(row.due_on.isoformat())
        if row.window_end != row.due_on:
            due += "–" + _e(row.window_end.strftime("%m-%d"))
        if row.next_attempt_at and row.status == "pending":
            at = local_datetime(row.next_attempt_at, "MM-dd HH:mm")
            due += f'<br><span class="muted">{_e(fmt.next_try % {"at": at})}</span>'
        back = _e(back)
        return Markup(
            f'  <tr class="task-row"{PENDING_ROW if pending else ""}>\n'
            f'    <td data-label="{c["patient"]}">\n'
            f'      <a href="{self.urls.patient.format(int(row.patient_id))}">'
            f'{_e(row.name)}</a>\n'
            f'      <span class="muted">{who}</span>\n    </td>\n'
            f'    <td data-label="{c["phone"]}">'
            f'{self._phone(row.patient_id, row.phone, row.phone2, False, back)}</td>\n'
            f'    <td data-label="{c["ward"]}">{_e(row.ward_code)}</td>\n'
            f'    <td data-label="{c["discharged"]}">{row.discharged_on.isoformat()} '
            f'<span class="muted">'
            f'{_e(fmt.day % {"n": (self.today - row.discharged_on).days})}</span></td>\n'
            f'    <td data-label="{c["diagnosis"]}">{_e(row.diagnosis)}</td>\n'
            f'    <td data-label="{c["due"]}">{due}\n    </td>\n'
            f'    <td data-label="{c["attempts"]}" class="num">{int(row.attempts)}</td>\n'
            f'    <td data-label="{c["log"]}" class="actions">\n'
            f'{self._outcome_form(row, task_id, back, buttons) if pending else self._closed(row)}'
            '    </td>\n  </tr>\n')

    def _outcome_form(self, row, task_id: int, back: str, buttons: Markup) -> str:
        url = self.urls.attempt.format(task_id)
        return (f'      <form method="post" action="{url}" class="outcome-form"\n'
                f'            hx-post="{url}" hx-target="#task-{task_id}" hx-swap="outerHTML"'
                ' hx-sync="this:drop">\n'
                f'        <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
                f'        <input type="hidden" name="key" value="{_e(self.new_key())}">\n'
                f'        <input type="hidden" name="version" value="{int(row.version)}">\n'
                f'        <input type="hidden" name="next" value="{back}">\n'
                f'        {Markup(buttons)}\n      </form>\n')

    def _closed(self, row) -> str:
        badge = {"lost": " bad", "completed": " ok"}.get(row.status, "")
        text = (f'      <span class="badge{badge}">'
                f'{_e(self.labels.statuses[row.status])}</span>\n')
        if row.last_outcome:
            text += (f'      <span class="muted">'
                     f'{_e(self.labels.outcomes[row.last_outcome])}</span>\n')
        return text

    def _second(self) -> str:
        if self._second_level is None:
            self._second_level = _("Second-level")
        return self._second_level
