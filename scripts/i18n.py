"""Message catalogues, one per feature: extract, update, compile, check.

    python scripts/i18n.py update    # add new messages to every zh catalogue (keeps translations)
    python scripts/i18n.py compile   # write the .mo files (committed beside the .po)
    python scripts/i18n.py translate AREA < zh.json   # set translations from {"msgid": "译文"}
    python scripts/i18n.py check     # list untranslated messages and stale .mo files; exit 1 if any

Feature F's catalogue (portal/F/translations/zh/LC_MESSAGES/messages.po) holds the messages of
portal/F/**.py and templates/F/**. The core catalogue (portal/translations/...) holds the rest:
portal/*.py, templates/*.html, templates/macros, templates/errors, templates/home.
"""
from __future__ import annotations

import gettext
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PORTAL, TEMPLATES = ROOT / "portal", ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
CORE_TEMPLATE_DIRS = ("macros", "errors", "home")


def areas() -> dict[str, tuple[Path, list[Path]]]:
    """catalogue directory -> source files."""
    features = sorted(p.name for p in PORTAL.iterdir()
                      if p.is_dir() and (p / "__init__.py").exists() and p.name != "translations")
    result = {}
    core_files = sorted(PORTAL.glob("*.py")) + sorted(TEMPLATES.glob("*.html"))
    for d in CORE_TEMPLATE_DIRS:
        core_files += sorted((TEMPLATES / d).glob("**/*.html"))
    result["core"] = (PORTAL / "translations", core_files)
    for f in features:
        if f in CORE_TEMPLATE_DIRS:
            files = sorted((PORTAL / f).glob("**/*.py"))
        else:
            files = sorted((PORTAL / f).glob("**/*.py")) + sorted((TEMPLATES / f).glob("**/*.html"))
        if files:
            result[f] = (PORTAL / f / "translations", files)
    return result


def extract(files: list[Path]) -> Catalog:
    catalog = Catalog(locale="zh", project="CareLoop")
    for path in files:
        method = "jinja2" if path.suffix == ".html" else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=options):
            catalog.add(message, None, [(str(path.relative_to(ROOT)), lineno)],
                        auto_comments=comments, context=context)
    return catalog


def po_path(directory: Path) -> Path:
    return directory / "zh" / "LC_MESSAGES" / "messages.po"


def load(directory: Path) -> Catalog:
    path = po_path(directory)
    if not path.exists():
        return Catalog(locale="zh", project="CareLoop")
    with path.open("rb") as fh:
        return read_po(fh, locale="zh")


def update() -> None:
    for name, (directory, files) in areas().items():
        template = extract(files)
        if not len(template):
            continue
        catalog = load(directory)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = po_path(directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=False)
        print(f"{name}: {len(catalog)} messages -> {path.relative_to(ROOT)}")


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def mo_messages(data: bytes) -> dict:
    """A compiled catalogue's translations, without its header: the header names the Babel
    version that wrote it, so a newer Babel must not make a current catalogue look stale."""
    messages = dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)
    messages.pop("", None)
    return messages


def compile_all() -> None:
    for _name, (directory, _files) in areas().items():
        path = po_path(directory)
        if path.exists():
            path.with_suffix(".mo").write_bytes(mo_bytes(load(directory)))


def conflicts() -> list[str]:
    """Flask-Babel merges every catalogue into one: a message must read the same everywhere."""
    seen: dict = {}
    for name, (directory, _files) in areas().items():
        for message in load(directory):
            if message.id and message.string:
                seen.setdefault((str(message.id), message.context), {})[name] = str(message.string)
    return [f"{msgid!r} is translated differently: {by_area}"
            for (msgid, _ctx), by_area in seen.items() if len(set(by_area.values())) > 1]


def problems() -> list[str]:
    found = conflicts()
    for name, (directory, files) in areas().items():
        catalog = load(directory)
        for message in extract(files):
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None or not have.string or have.fuzzy or (
                    isinstance(have.string, tuple) and not all(have.string)):
                where = message.locations[0] if message.locations else ("?", 0)
                found.append(f"{name}: untranslated {message.id!r} ({where[0]}:{where[1]})")
        path = po_path(directory)
        if path.exists():
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo_messages(mo.read_bytes()) != mo_messages(mo_bytes(catalog)):
                found.append(f"{name}: {mo.relative_to(ROOT)} is stale; run scripts/i18n.py compile")
    return found


def translate_everywhere(mapping: dict[str, str]) -> None:
    """Set these translations in every catalogue that has the message."""
    for name, (directory, _files) in areas().items():
        if po_path(directory).exists():
            have = {str(m.id) for m in load(directory) if m.id}
            picked = {k: v for k, v in mapping.items() if k in have}
            if picked:
                translate(name, picked)


def translate(area: str, mapping: dict[str, str]) -> None:
    directory = areas()[area][0]
    catalog = load(directory)
    for msgid, text in mapping.items():
        message = catalog.get(msgid)
        if message is None:
            print(f"not in {area}: {msgid!r} (run update first)", file=sys.stderr)
            continue
        message.string = text
        message.flags.discard("fuzzy")
    with po_path(directory).open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False)
    po_path(directory).with_suffix(".mo").write_bytes(mo_bytes(catalog))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "translate":
        import json

        translate(sys.argv[2], json.load(sys.stdin))
    elif command == "compile":
        compile_all()
    else:
        issues = problems()
        print("\n".join(issues) or "all messages translated; .mo files current")
        sys.exit(1 if issues else 0)
