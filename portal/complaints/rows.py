"""The case lists (register, quality queue, waiting for me): rows, not entities, written
as HTML here.

A list shows nine columns of fifty cases. Loading them as Complaint objects and formatting
each row through Jinja cost several times the SQL, so a page is:
- one Core statement of the columns shown and one COUNT, both built once per filter shape
  and run with parameters (services.register_statements), on the session's connection;
- one statement for the wards' codes of those cases, one for the calendar's exceptions;
  category labels come from the categories the page loads anyway;
- the rows written by `table_html()` in Python, every text value escaped
  (templating.escape_str): labels are translated and escaped once per language and
  process, dates and "time left" badges once per distinct value per page.
"""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import bindparam, select, union_all

from portal.complaints.models import Complaint, complaint_wards
from portal.extensions import db
from portal.i18n import current_locale_tag
from portal.templating import Page, table_region, url_pattern
from portal.templating import escape_str as _e
from portal.timeutil import local_minute
from portal.wards.models import Ward

COLUMNS = (Complaint.id, Complaint.reference, Complaint.kind, Complaint.state,
           Complaint.severity, Complaint.category_id, Complaint.received_at,
           Complaint.next_due_on, Complaint.is_repeat)


def list_select(*conditions):
    """select(the list columns) where conditions; the caller orders it."""
    return select(*COLUMNS).where(*conditions)


def by_deadline(c) -> tuple:
    """The queue's order (nearest deadline first, none last) of Complaint or a subquery."""
    return c.next_due_on.asc().nulls_last(), c.id


def newest_first(c) -> tuple:
    """The register's order (last received first) of Complaint or a subquery."""
    return c.received_at.desc(), c.id.desc()


def page_select(query, order):
    """One page of `query` (list columns, ordered by `order`(Complaint)) with each case's
    ward codes: the page (parameters `limit` and `offset`) joined to its wards, a row per
    case and ward (one with no code for a case without a ward), in the page's order and
    then by code. One statement for what took two (the page, then its cases' wards)."""
    page = (query.order_by(*order(Complaint)).limit(bindparam("limit"))
            .offset(bindparam("offset")).subquery("page"))
    return (select(*page.c, Ward.code).select_from(page)
            .outerjoin(complaint_wards, complaint_wards.c.complaint_id == page.c.id)
            .outerjoin(Ward, Ward.id == complaint_wards.c.ward_id)
            .order_by(*order(page.c), Ward.code))


def deadline_pieces_select(pieces):
    """page_select() of the cases matching any of `pieces`, nearest deadline first.

    Each piece is a tuple of conditions that the index on (state, next_due_on) reads in
    deadline order: one state, and deadlines that are all set or all NULL. Each piece is cut
    at limit + offset, so a page reads a few entries per piece; one IN over the states read
    and sorted every open case (8 ms of 35,000 open cases in 50,000)."""
    upto = bindparam("limit") + bindparam("offset")
    parts = [select(piece.c.id) for piece in (
        select(Complaint.id, Complaint.next_due_on).where(*conditions)
        .order_by(Complaint.next_due_on, Complaint.id).limit(upto).subquery()
        for conditions in pieces)]
    return page_select(list_select(Complaint.id.in_(union_all(*parts))), by_deadline)


def page_of(rows_statement, count_statement, params: dict, page: int,
            per_page: int) -> Page:
    """One page of the list and the total: `rows_statement` is a page_select() (parameters
    `limit` and `offset` besides `params`). Items: (list columns, [ward codes])."""
    page = max(page, 1)
    conn = db.session.connection()
    items: list[tuple] = []
    last_id = None
    for *columns, code in conn.execute(rows_statement, {**params, "limit": per_page,
                                                         "offset": (page - 1) * per_page}):
        if columns[0] != last_id:
            last_id, codes = columns[0], []
            items.append((columns, codes))
        if code is not None:
            codes.append(code)
    return Page(items, page, per_page, conn.execute(count_statement, params).scalar() or 0)

_LABELS: dict[str, SimpleNamespace] = {}
OK_STATES = frozenset(("closed", "verified", "acknowledged"))


def _td(text: str, escaped: bool = False) -> str:
    """A table cell of the list, on its own line."""
    return f"    <td>{text if escaped else _e(text)}</td>\n"


def labels() -> SimpleNamespace:
    """Labels of states, kinds, sources ... (the workflow and forms hold the one list) in the
    page's language, translated once per language and process: `groups` as str for the
    templates, and what the list writer needs already escaped."""
    locale = current_locale_tag()
    if (found := _LABELS.get(locale)) is None:
        from portal.complaints import forms, workflow

        groups = {"state": workflow.STATE_LABELS, "kind": forms.KIND_LABELS,
                  "praise_type": forms.PRAISE_LABELS, "source": forms.SOURCE_LABELS,
                  "severity": forms.SEVERITY_LABELS, "cause": forms.CAUSE_LABELS,
                  "field": forms.FIELD_LABELS}
        groups = {name: {k: str(v) for k, v in group.items()} for name, group in groups.items()}
        heads = (_("Reference"), _("Kind"), _("State"), _("Wards"), _("Category"),
                 _("Severity"), _("Received"), _("Deadline"), _("Time left"))
        repeat = _e(_("Repeat"))
        ui = SimpleNamespace(  # what the register's filters and tabs say (_register.html)
            title=_("Complaints & praise"), new=_("File a complaint, praise or suggestion"),
            views=_("Views"), queue=_("Queue by deadline"), all_cases=_("All cases"),
            kind=_("Kind"), state=_("State"), ward=_("Ward"), category=_("Category"),
            all=_("All"), open=_("Open"), repeats=_("Repeats only"),
            overdue=_("Overdue only"), mine=_("My open corrective actions"),
            reference=_("Reference"), filter=_("Filter"), complaints=_("Complaints"),
            praise=_("Praise"), suggestions=_("Suggestions"))
        events = SimpleNamespace(  # timeline entries (timeline.entries_html), escaped
            state=_e(_("State")), comment=_e(_("Comment")), cause=_e(_("Root cause")),
            action=_e(_("Corrective action")), added=_e(_("added")), done=_e(_("done")),
            verified=_e(_("verified")), effective=_e(_("effective")),
            not_effective=_e(_("not effective")), changed=_("Changed %(field)s"))
        found = _LABELS[locale] = SimpleNamespace(
            groups=groups, locale=locale, ui=ui, events=events,
            # the list's cells of these columns, by value
            kind_td={k: _td(v) for k, v in groups["kind"].items()},
            state_td={k: _td(f'<span class="badge{" ok" if k in OK_STATES else ""}">'
                             f'{_e(v)}</span>', escaped=True)
                      for k, v in groups["state"].items()},
            severity_td={k: _td(v) for k, v in groups["severity"].items()},
            head="</th><th>".join(map(_e, heads)),
            repeat=f'\n      <span class="badge warn" title="{repeat}">{repeat}</span>')
    return found


def time_left_badge(cal, due: date | None, today: date) -> tuple[str, str] | None:
    """The "time left" badge: (css class, text); the one wording for lists and case pages."""
    left = cal.time_left(due, today)
    if left is None:
        return None
    if left < 0:
        return "bad", _("Overdue by %(n)d working days", n=-left)
    if left == 0:
        return "warn", _("Due today")
    return ("warn" if left <= 1 else ""), _("%(n)d working days left", n=left)


def badge_html(badge: tuple[str, str] | None) -> str:
    """A time_left_badge() as HTML (escaped); a dash without a deadline."""
    if badge is None:
        return '<span class="muted">—</span>'
    css = f" {_e(badge[0])}" if badge[0] else ""
    return f'<span class="badge{css}">{_e(badge[1])}</span>'



def table_html(items, today: date, category_labels: dict[int, str]) -> Markup:
    """The list's table: `items` from page_of() (list columns, ward codes);
    `category_labels` in the page's language. Every text value is escaped; ids are ints."""
    from portal.calendar.services import calendar_for

    escaped: dict[str, str] = {}  # ward code -> HTML
    for _columns, codes in items:
        for i, code in enumerate(codes):
            if (html := escaped.get(code)) is None:
                html = escaped[code] = _e(code)
            codes[i] = html
    cal = calendar_for([columns[7] for columns, _codes in items])
    lab = labels()
    kinds, states, severities, repeat = lab.kind_td, lab.state_td, lab.severity_td, lab.repeat
    detail = url_pattern("complaints.detail", "case_id")
    categories = {k: _e(v) for k, v in category_labels.items()}
    badges: dict[date | None, str] = {}
    out = [f'<div class="table-wrap" {table_region()}>\n'
           f'<table>\n  <thead><tr>\n    <th>{lab.head}</th>\n  </tr></thead>\n  <tbody>\n']
    for (case_id, reference, kind, state, severity, category_id, received, due,
         is_repeat), codes in items:
        if (left := badges.get(due)) is None:
            left = badges[due] = badge_html(time_left_badge(cal, due, today))
        out.append(
            f'  <tr>\n    <td><a href="{detail.format(int(case_id))}">{_e(reference)}</a>'
            f'{repeat if is_repeat else ""}</td>\n'
            f'{kinds.get(kind) or _td(kind)}{states.get(state) or _td(state)}'
            f'    <td>{", ".join(codes)}</td>\n'
            f'    <td>{categories.get(category_id, "")}</td>\n'
            f'{severities.get(severity) or _td(severity)}'
            f'    <td>{local_minute(received)}</td>\n'
            f'    <td>{due.isoformat() if due else ""}</td>\n'
            f'    <td>{left}</td>\n  </tr>\n')
    out.append("  </tbody>\n</table>\n</div>")
    return Markup("".join(out))


def export_columns() -> list:
    """The register as a file (?export=csv|xlsx): what the list shows plus the complainant
    (phone masked) and the description; text is formula-neutralised by reports.exports."""
    from flask_babel import lazy_gettext as _l

    from portal.complaints import forms, workflow
    from portal.reports.exports import Column

    return [
        Column(_l("Reference"), lambda c: c.reference),
        Column(_l("Kind"), lambda c: str(forms.KIND_LABELS[c.kind])),
        Column(_l("State"), lambda c: str(workflow.STATE_LABELS[c.state])),
        Column(_l("Wards"), lambda c: ", ".join(w.code for w in c.wards)),
        Column(_l("Category"), lambda c: c.category.name_zh if c.category else ""),
        Column(_l("Severity"), lambda c: str(forms.SEVERITY_LABELS[c.severity])),
        Column(_l("Source"), lambda c: str(forms.SOURCE_LABELS[c.source])),
        Column(_l("Received"), lambda c: c.received_at, kind="datetime"),
        Column(_l("Deadline"), lambda c: c.next_due_on, kind="date"),
        Column(_l("Repeat"), lambda c: c.is_repeat),
        Column(_l("Complainant"), lambda c: c.complainant_name),
        Column(_l("Phone"), lambda c: c.complainant_phone, kind="phone"),
        Column(_l("Description"), lambda c: c.description),
    ]


def export_select(query):
    """The register's select of list columns turned into one of Complaint entities (same
    conditions and order) with what the export columns read loaded up front."""
    from sqlalchemy.orm import selectinload

    return (query.with_only_columns(Complaint)
            .options(selectinload(Complaint.wards), selectinload(Complaint.category)))
