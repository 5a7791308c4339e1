"""File responses with a Chinese file name that every browser reads (RFC 6266 filename*)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body, filename: str, mimetype: str) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name.replace(chr(34), "")}"; '
        f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp
