"""Every message of the pages and of the web code is in the French catalogue, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from microcred.i18n import LOCALE_DIR, translations
from microcred.web.i18n import negotiate, parse_accept_language

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    method_map = [("src/microcred/**.py", "python"), ("src/microcred/web/templates/**.html", "jinja2")]
    options = {"src/microcred/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_french_translation_with_the_same_placeholders() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {}
    for m in catalog:
        if m.id:
            key = m.id[0] if isinstance(m.id, tuple) else m.id
            translated[key] = m.string if isinstance(m.string, str) else m.string[0]
    messages = _source_messages()
    assert len(messages) > 200
    missing = sorted(m for m in messages if not translated.get(m))
    assert missing == [], f"untranslated: {missing[:10]} (run `make messages`, then translate)"
    for msgid in messages:
        assert set(_PLACEHOLDER.findall(msgid)) == set(_PLACEHOLDER.findall(translated[msgid])), msgid


def test_catalogue_compiles_in_memory() -> None:
    assert translations("fr").gettext("Verify a credential") == "Vérifier une attestation"
    assert translations("en").gettext("Verify a credential") == "Verify a credential"
    assert translations("fr").ngettext("%(num)s award", "%(num)s awards", 2) == "%(num)s attestations délivrées"


def test_language_negotiation() -> None:
    assert parse_accept_language("fr-CA;q=0.8, en;q=0.9, de;q=0") == ["en", "fr"]
    assert negotiate(None, "fr-CA,fr;q=0.9", "en") == "fr"
    assert negotiate("en", "fr", "fr") == "en"  # the switch wins
    assert negotiate("xx", "de", "fr") == "fr"  # nothing matches: the instance default
    assert negotiate(None, "de;q=x", "en") == "en"
