"""Reading and checking HTML form input, with messages tied to fields (rendered with aria-describedby)."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from microcred.i18n import gettext as _

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def form_data(request: Request) -> dict[str, Any]:
    """The submitted form as a dict (str values, UploadFile for files); the last value of a repeated name wins."""
    form = await request.form()
    return {key: value for key, value in form.multi_items()}


class Form:
    """Submitted values plus the errors found in them, keyed by field name."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, required: bool = False, max_length: int = 300) -> str | None:
        raw = self.data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if required:
                self.errors[name] = _("This field is required.")
            return None
        if len(value) > max_length:
            self.errors[name] = _("At most %(n)s characters.", n=max_length)
        return value

    def number(self, name: str, *, required: bool = False, positive: bool = False) -> float | None:
        value = self.text(name, required=required, max_length=30)
        if value is None:
            return None
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            self.errors[name] = _("Enter a number, such as 12 or 0.5.")
            return None
        if not math.isfinite(number) or number < 0 or (positive and number == 0):
            self.errors[name] = _("Enter a number greater than zero.") if positive else _("Enter zero or more.")
            return None
        return number

    def url(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=2000)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.errors[name] = _("Enter a web address starting with https:// or http://.")
            return None
        return value

    def email(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=320)
        if value is not None and not _EMAIL.match(value):
            self.errors[name] = _("Enter an email address, such as name@example.org.")
            return None
        return value.lower() if value else None

    def choice(self, name: str, allowed: tuple[str, ...] | list[str], *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in allowed:
            self.errors[name] = _("Choose one of the options.")
            return None
        return value

    @property
    def ok(self) -> bool:
        return not self.errors
