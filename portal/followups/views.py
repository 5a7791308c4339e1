"""followups views."""
from flask import Blueprint

bp = Blueprint("followups", __name__)
from portal.followups import import_views, rules_views  # noqa: E402,F401
