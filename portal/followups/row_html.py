"""A worklist row and a patient's phone as HTML, written in Python.

The worklist is the page nurses keep open all day, and benchmarks/worklist.py holds it to
twice the time of its SQL. Written by Jinja, a row (thirty escaped outputs and a macro call
for the phone) cost more than SQLite needed for the whole page's queries; written here, the
same markup costs a quarter of that. followups/_rows.html keeps the rest of a task's
<tbody> (call form, messages, complaint links), which is rendered for one task at a time.

The rules that keep this safe: every text value passes `escape()` (names, diagnoses,
numbers, translated labels and formats); ids, counts and dates are formatted by Python;
URLs come from url_for patterns (templating.url_pattern).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.followups.worklist import age_at
from portal.privacy import mask_phone
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
        self.csrf = escape(csrf)
        self.cols = {k: escape(v) for k, v in vars(labels.cols).items()}
        self.show_number, self.no_number = escape(labels.show_number), escape(labels.no_number)
        self._second_level = None

    def phone(self, patient_id: int, number: str | None, number2: str | None,
              revealed: bool = False, back: str = "") -> Markup:
        """The numbers in full (tel: links), or masked with a reveal button (POST, audited)."""
        if revealed:
            links = " / ".join(f'<a href="tel:{escape(n)}">{escape(n)}</a>'
                               for n in (number, number2) if n)
            return Markup(f'<span class="phone">\n  {links}\n</span>')
        if not (number or number2):
            return Markup(f'<span class="phone">\n  <span class="muted">{self.no_number}</span>'
                          '\n</span>')
        masked = " / ".join(escape(mask_phone(n)) for n in (number, number2) if n)
        url = self.urls.reveal.format(int(patient_id))
        return Markup(
            f'<span class="phone">\n  <span>{masked}</span>\n'
            f'  <form method="post" action="{url}" class="inline-form" hx-post="{url}"'
            ' hx-target="closest .phone" hx-swap="outerHTML">\n'
            f'    <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
            f'    <input type="hidden" name="next" value="{escape(back)}">\n'
            f'    <button type="submit" class="link-button">{self.show_number}</button>\n'
            '  </form>\n</span>')

    def row(self, row, back: str, buttons: Markup, call_form: bool = False) -> Markup:
        """The task's <tr>: patient, phone, ward, dates, attempts, and the outcome buttons
        (a form with a fresh idempotency key) or the status it was closed with."""
        labels, c, task_id = self.labels, self.cols, int(row.id)
        fmt = labels.fmt
        pending = row.status == "pending" and not call_form
        age = age_at(row, row.discharged_on)
        who = escape(labels.sexes[row.sex])
        if age is not None:
            who += " · " + escape(fmt.age % {"n": age})
        if row.kind == "quality":
            who += Markup('</span>\n      <span class="badge warn">%s') % self._second()
        due = row.due_on.isoformat()
        if row.window_end != row.due_on:
            due += "–" + row.window_end.strftime("%m-%d")
        if row.next_attempt_at and row.status == "pending":
            due += Markup('<br><span class="muted">%s</span>') % (
                fmt.next_try % {"at": local_datetime(row.next_attempt_at, "MM-dd HH:mm")})
        back = escape(back)
        return Markup(
            f'  <tr class="task-row"{PENDING_ROW if pending else ""}>\n'
            f'    <td data-label="{c["patient"]}">\n'
            f'      <a href="{self.urls.patient.format(int(row.patient_id))}">'
            f'{escape(row.name)}</a>\n'
            f'      <span class="muted">{who}</span>\n    </td>\n'
            f'    <td data-label="{c["phone"]}">'
            f'{self.phone(row.patient_id, row.phone, row.phone2, back=back)}</td>\n'
            f'    <td data-label="{c["ward"]}">{escape(row.ward_code)}</td>\n'
            f'    <td data-label="{c["discharged"]}">{row.discharged_on.isoformat()} '
            f'<span class="muted">'
            f'{escape(fmt.day % {"n": (self.today - row.discharged_on).days})}</span></td>\n'
            f'    <td data-label="{c["diagnosis"]}">{escape(row.diagnosis)}</td>\n'
            f'    <td data-label="{c["due"]}">{escape(due)}\n    </td>\n'
            f'    <td data-label="{c["attempts"]}" class="num">{int(row.attempts)}</td>\n'
            f'    <td data-label="{c["log"]}" class="actions">\n'
            f'{self._outcome_form(row, task_id, back, buttons) if pending else self._closed(row)}'
            '    </td>\n  </tr>\n')

    def _outcome_form(self, row, task_id: int, back: Markup, buttons: Markup) -> str:
        url = self.urls.attempt.format(task_id)
        return (f'      <form method="post" action="{url}" class="outcome-form"\n'
                f'            hx-post="{url}" hx-target="#task-{task_id}" hx-swap="outerHTML"'
                ' hx-sync="this:drop">\n'
                f'        <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
                f'        <input type="hidden" name="key" value="{escape(self.new_key())}">\n'
                f'        <input type="hidden" name="version" value="{int(row.version)}">\n'
                f'        <input type="hidden" name="next" value="{back}">\n'
                f'        {Markup(buttons)}\n      </form>\n')

    def _closed(self, row) -> str:
        badge = {"lost": " bad", "completed": " ok"}.get(row.status, "")
        text = (f'      <span class="badge{badge}">'
                f'{escape(self.labels.statuses[row.status])}</span>\n')
        if row.last_outcome:
            text += (f'      <span class="muted">'
                     f'{escape(self.labels.outcomes[row.last_outcome])}</span>\n')
        return text

    def _second(self) -> str:
        if self._second_level is None:
            self._second_level = _("Second-level")
        return self._second_level
