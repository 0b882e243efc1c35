"""English and French for every layer: the gettext catalogues (Babel), the current language, gettext/ngettext.

The domain (emails, registrar transcripts, certificates), the CLI and the web all translate through here; only the
HTTP side (the request's language from its cookie or Accept-Language, Jinja2's callables) lives in
``microcred.web.i18n``. The French catalogue is the ``.po`` file under ``web/locale`` (where ``make messages``
extracts and merges it, templates included); it is compiled in memory when first needed (Babel's ``write_mo``), so
a fresh clone works without a build step and the ``.po`` stays the only source.
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
# A path, not an import: the catalogues are data files shipped inside the web package's folder.
LOCALE_DIR = Path(__file__).resolve().parent / "web" / "locale"

_current: ContextVar[str] = ContextVar("microcred_language", default="en")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue for ``language`` (English is the source language: no catalogue)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else "en")


def use_language(language: str) -> Token[str]:
    """Make ``language`` current until ``reset_language(token)`` (a request's language, set by the web's middleware)."""
    return _current.set(language)


def reset_language(token: Token[str]) -> None:
    _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language, %-formatted with ``variables`` (plain text, for Python code)."""
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later (``_(variable)`` in a template)."""
    return message
