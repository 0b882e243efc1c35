"""Defensive readers of a credential document's fields: anything may be missing or of the wrong type (pasted
credentials come from elsewhere), and links are only emitted for http(s) URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Link:
    label: str
    url: str | None
    detail: str | None = None


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL (safe to put in an href), else None."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return value.strip()
    return None


def text_of(value: Any) -> str | None:
    """A field as plain text: a string, a language map's English (or French) value, or a number."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):  # a language map {"en": "..."} or {"@value": ...}
        for key in ("@value", "en", "en-CA", "en-GB", "fr"):
            if isinstance(value.get(key), str):
                return str(value[key])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def list_of(value: Any) -> list[Any]:
    """A JSON-LD value as a list (a single value is a list of one)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def types_of(value: Any) -> list[str]:
    return [t for t in list_of(value) if isinstance(t, str)]


def format_date(value: Any) -> str | None:
    text = text_of(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    from microcred.i18n import current_language

    language = current_language()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        if language != "en":
            from babel.dates import format_datetime

            return str(format_datetime(moment, "d MMMM y, HH:mm 'UTC'", tzinfo=UTC, locale=language))
        return f"{moment.day} {moment.strftime('%B')} {moment.year:04d}, {moment.strftime('%H:%M')} UTC"
    if language != "en":
        from babel.dates import format_date as babel_date

        return str(babel_date(moment.date(), "d MMMM y", locale=language))
    return f"{moment.day} {moment.strftime('%B')} {moment.year:04d}"  # year 1 as 0001, as given


def humanize(token: str) -> str:
    """``MicroCredential`` -> ``Micro credential``, ``ext:Foo`` -> ``Foo``, ``ceasn:Competency`` -> ``Competency``."""
    token = token.split(":", 1)[-1]
    out = ""
    for i, ch in enumerate(token):
        if ch.isupper() and i and not token[i - 1].isupper():
            out += " " + ch.lower()
        else:
            out += ch
    return out[:1].upper() + out[1:]


def is_ext(value: Any) -> bool:
    return isinstance(value, dict) and (text_of(value.get("targetType")) or "").startswith("ext:")


def alignment_link(value: Any) -> Link | None:
    if not isinstance(value, dict):
        return None
    name = text_of(value.get("targetName")) or text_of(value.get("targetCode")) or text_of(value.get("targetUrl"))
    if name is None:
        return None
    framework = text_of(value.get("targetFramework"))
    code = text_of(value.get("targetCode"))
    detail = " · ".join(x for x in (framework, code if code != name else None) if x) or None
    return Link(label=name, url=safe_url(value.get("targetUrl")), detail=detail)
