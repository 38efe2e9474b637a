"""Interface language: English or Chinese, through gettext catalogs.

Why gettext: the strings stay readable English in the code (the message ids), the
Chinese lives in ``qcoder/locale/zh/LC_MESSAGES/qcoder.po`` where a translator can edit
it with any PO editor, and the standard library reads the compiled ``qcoder.mo`` at no
start-up cost. Nothing here imports the engine or Textual: the reports and the CLI can
use it too.

How to mark a string shown to users::

    from qcoder.i18n import _, N_

    self.notify(_("memo saved"))                       # translated when shown
    _("{count} statements coded").format(count=n)       # fields by name, never an f-string
    BINDINGS = [Binding("m", "memo", N_("Statement memo"))]  # class-level: marked only;
    # the workbench translates binding descriptions when a screen is built (``tui/i18n_tui.py``)

Then ``python -m qcoder.i18n update`` adds the new ids to the catalog (needs Babel, in the
``test`` extra), a translator fills in the Chinese, and ``python -m qcoder.i18n compile``
writes the ``.mo``; ``tests/tui/test_i18n.py`` fails while an id has no translation or the
``.mo`` is older than the ``.po``.
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "qcoder"
LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_language = "en"
_translations: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str) -> str:
    """Show the interface in ``language`` (``en`` or ``zh``) from now on; returns it."""
    global _language, _translations
    language = normalise(language) or "en"
    if language == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)
    _language = language
    return language


def language() -> str:
    """The interface language in use (``en`` or ``zh``)."""
    return _language


def _(message: str) -> str:
    """``message`` in the interface language (``message`` itself when it has no translation)."""
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (class-level constants)."""
    return message


def normalise(value: str | None) -> str | None:
    """``en`` or ``zh`` from a language or locale name (``zh_CN.UTF-8``, ``中文``, ``English``); else None."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith(("zh", "chinese", "中")):
        return "zh"
    if value.startswith(("en", "english", "c.", "posix")) or value == "c":
        return "en"
    return None


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the locale asks for (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, in gettext's order)."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return normalise(value.split(":")[0])
    return None


def choose_language(
    explicit: str | None = None,
    preference: str | None = None,
    project: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The interface language: ``--lang``, else ``QCODER_LANG``, else the saved preference,
    else Chinese when the project's language or the locale is Chinese, else English."""
    environ = os.environ if environ is None else environ
    for value in (explicit, environ.get("QCODER_LANG"), preference):
        chosen = normalise(value)
        if chosen:
            return chosen
    if normalise(project) == "zh" or locale_language(environ) == "zh":
        return "zh"
    return "en"


# ---------------------------------------------------------------------- catalog upkeep (needs Babel)
SOURCES = ("qcoder/tui", "qcoder/i18n.py")  # where ``_()`` and ``N_()`` mark strings


def _po_path(language: str = "zh") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(root: Path) -> list[str]:
    """Every message id marked with ``_()`` or ``N_()`` under ``SOURCES``, in source order."""
    from babel.messages.extract import extract_from_dir, extract_python

    ids: list[str] = []
    for source in SOURCES:
        path = root / source
        found = (
            extract_from_dir(str(path), method_map=[("**.py", "python")], keywords={"_": None, "N_": None})
            if path.is_dir()
            else (
                (str(path), *item)
                for item in extract_python(path.open("rb"), {"_": None, "N_": None}, [], {"encoding": "utf-8"})
            )
        )
        for item in found:
            message = item[2]
            if isinstance(message, str) and message and message not in ids:
                ids.append(message)
    return ids


def update(root: Path) -> list[str]:
    """Add new ids to every catalog (empty translation); returns the ids still untranslated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    ids = extract(root)
    missing: list[str] = []
    for language in LANGUAGES[1:]:
        path = _po_path(language)
        catalog = read_po(path.open("rb")) if path.exists() else Catalog(locale=language, domain=DOMAIN)
        catalog.fuzzy = False
        for message in ids:
            if message not in catalog:
                catalog.add(message, "")
        for old in [m.id for m in catalog if m.id and m.id not in ids]:
            catalog.delete(old)  # no longer in the code

        missing += [str(m.id) for m in catalog if m.id and not m.string]
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=0, omit_header=False)
    return missing


def compile_catalogs() -> None:
    """Write ``qcoder.mo`` beside every ``qcoder.po``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for language in LANGUAGES[1:]:
        path = _po_path(language)
        catalog = read_po(path.open("rb"))
        with path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


if __name__ == "__main__":  # python -m qcoder.i18n update|compile
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        left = update(Path.cwd())
        print(f"{len(left)} ids without a translation", *left, sep="\n")
    elif command == "compile":
        compile_catalogs()
    else:
        print("usage: python -m qcoder.i18n update|compile")
