"""wards views."""
from flask import Blueprint

bp = Blueprint("wards", __name__)
