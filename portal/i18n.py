"""Language and time zone for each request.

The user's saved preference wins, then the language chosen with the header switch
(kept in the session), then the browser's Accept-Language. Messages are English in
the code and translated to Chinese; each feature keeps its catalogue in
portal/<feature>/translations and Flask-Babel merges them. Babel calls zh_CN
zh_Hans_CN, so the catalogue folder is plain `zh`, which every Chinese variant reaches.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale

PORTAL_DIR = Path(__file__).parent


def translation_directories() -> list[str]:
    return sorted(str(p) for p in PORTAL_DIR.glob("**/translations") if p.is_dir())


def normalise(tag: str | None) -> str | None:
    """'zh-CN', 'zh_Hans_CN', 'zh-TW' -> 'zh'; 'en-GB' -> 'en'; others -> None."""
    if not tag:
        return None
    base = tag.replace("-", "_").split("_")[0].lower()
    return base if base in current_app.config["LANGUAGES"] else None


@cache
def _locale(tag: str) -> Locale:
    # Flask-Babel parses a tag on every request; parsing looks for the locale's data file
    return Locale.parse(tag)


def select_locale() -> Locale:
    """Flask-Babel's locale selector (a parsed Locale, which it uses as it is)."""
    return _locale(_select_language())


def _select_language() -> str:
    if not has_request_context():  # CLI commands talk to an administrator at a console
        return current_app.config.get("CLI_LANGUAGE", "en")
    # Use the user only if this request already loaded it: choosing a language must never
    # be what queries the database (error pages for an unreachable database need it too).
    user = g.get("_login_user")
    user_lang = getattr(user, "language", None)
    for candidate in (user_lang, session.get("lang")):
        if lang := normalise(candidate):
            return lang
    for tag, _quality in request.accept_languages:
        if lang := normalise(tag):
            return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@cache
def _wtforms_catalogue(tag: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [tag], domain="wtforms")


def _wtforms_translations():
    """flask_wtf.i18n._get_translations, with WTForms' catalogue kept per language.

    Flask-WTF reads and parses WTForms' .mo file from disk in every request that builds a
    form with an unlabelled field (a hidden field's label is translated): a third of a
    millisecond per post. The catalogue ships with WTForms and does not change while the
    process runs.
    """
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _wtforms_catalogue(str(get_locale()))


def cache_wtforms_catalogues() -> None:
    """Install _wtforms_translations (Flask-WTF looks the function up on every call)."""
    import flask_wtf.i18n

    flask_wtf.i18n._get_translations = _wtforms_translations


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_locale_tag() -> str:
    """The value for <html lang>: zh-CN or en."""
    return "zh-CN" if str(get_locale()).startswith("zh") else "en"
