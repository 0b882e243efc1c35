"""Small input checks shared by the domain services (each raises `InvalidInput` with a clear message)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from microcred.errors import InvalidInput, NotFound

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def required_text(value: str | None, field: str, *, max_length: int | None = None) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput(f"{field} is required")
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(f"{field} is too long (at most {max_length} characters)")
    return text


def optional_text(value: str | None, field: str, *, max_length: int | None = None) -> str | None:
    if value is None or not str(value).strip():
        return None
    return required_text(value, field, max_length=max_length)


def one_of(value: str | None, field: str, allowed: tuple[str, ...]) -> str:
    text = (value or "").strip()
    if text not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)} (got {value!r})")
    return text


def optional_url(value: str | None, field: str) -> str | None:
    text = optional_text(value, field, max_length=2000)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{field} must be an http(s) URL (got {text!r})")
    return text


def optional_email(value: str | None, field: str = "email") -> str | None:
    text = optional_text(value, field, max_length=320)
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise InvalidInput(f"{field} is not an email address: {text!r}")
    return text.lower()


def country_code(value: str | None, field: str = "country") -> str:
    text = (value or "").strip().upper()
    if not _COUNTRY.match(text):
        raise InvalidInput(f"{field} must be an ISO 3166-1 alpha-2 code such as CA (got {value!r})")
    return text


def as_uuid(value: uuid.UUID | str, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise NotFound(f"no {what} with id {str(value)[:64]!r}") from None
