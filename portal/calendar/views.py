"""Admin page for the holiday calendar: list by year, add, edit, delete a day."""
from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from portal.auth.permissions import allow
from portal.calendar import services
from portal.calendar.forms import DayForm
from portal.errors import error_response
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast
from portal.timeutil import local_today

bp = Blueprint("calendar", __name__)


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    return year if 1900 < year < 2200 else local_today().year


@bp.route("/admin/calendar", methods=["GET", "POST"])
@allow("admin")
def holidays():
    year = _year()
    form = DayForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _save(None, form):
            db.session.commit()
            toast(_("Calendar day saved."))
            return redirect_after_post(url_for("calendar.holidays", year=form.day.data.year))
        status = 422
    return render("calendar/holidays.html", "calendar/_holidays.html", status=status,
                  form=form, year=year, days=services.days_of_year(year),
                  years=services.years())


def _save(day, form) -> bool:
    try:
        services.save_day(day, on=form.day.data, kind=form.kind.data,
                          name=(form.name.data or "").strip())
    except services.DayTaken:
        form.day.errors.append(_("This date is already in the calendar; edit it instead."))
        return False
    return True


@bp.route("/admin/calendar/<int:day_id>", methods=["GET", "POST"])
@allow("admin")
def edit_day(day_id: int):
    day = services.get_day_or_404(day_id)
    form = DayForm(obj=day)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if str(day.version) != (form.version.data or ""):
                return error_response(409, _("Someone else changed this day first; reload it."))
            if _save(day, form):
                db.session.commit()
                toast(_("Calendar day saved."))
                return redirect_after_post(url_for("calendar.holidays", year=day.day.year))
        status = 422
    form.version.data = day.version
    return render("calendar/edit_day.html", "calendar/_day_form.html", status=status,
                  form=form, day=day)


@bp.route("/admin/calendar/<int:day_id>/delete", methods=["POST"])
@allow("admin")
def delete_day(day_id: int):
    day = services.get_day_or_404(day_id)
    year = day.day.year
    services.delete_day(day)
    db.session.commit()
    toast(_("Calendar day deleted."))
    return redirect_after_post(url_for("calendar.holidays", year=year))
