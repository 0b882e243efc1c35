"""The HTTP side of English and French: the request's language (middleware) and Jinja2's i18n callables.

The catalogues, gettext/ngettext and the current-language context variable are ``microcred.i18n`` (the domain and
the CLI translate too). The language of a request is, in order: the ``lang`` cookie set by the language switch,
the ``Accept-Language`` header, the instance default (``MICROCRED_DEFAULT_LANGUAGE``).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.types import ASGIApp, Receive, Scope, Send

from microcred.i18n import LANGUAGES, current_language, reset_language, translations, use_language

COOKIE = "lang"


def _template_gettext(message: str, **variables: Any) -> Markup:
    # As Jinja2's newstyle gettext: the translation is trusted markup, the variables are escaped.
    text = Markup(translations(current_language()).gettext(message))
    return text % variables if variables else text


def _template_ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    text = Markup(translations(current_language()).ngettext(singular, plural, n))
    variables.setdefault("num", n)
    return text % variables


def install(env: Any) -> None:
    """Give a Jinja2 environment `_`, `gettext`, `ngettext` and `{% trans %}` in the request's language."""
    env.add_extension("jinja2.ext.i18n")
    env.globals["_"] = _template_gettext
    env.globals["gettext"] = _template_gettext
    env.globals["ngettext"] = _template_ngettext
    env.newstyle_gettext = True


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language subtags, most preferred first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag.split("-")[0].lower()))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
        if tag == "*":
            break
    return default if default in LANGUAGES else "en"


class LanguageMiddleware:
    """Sets the request's language (``scope["state"]["language"]`` and the context variable)."""

    def __init__(self, app: ASGIApp, default: str = "en") -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = None
        accept = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for item in value.decode("latin-1").split(";"):
                    key, _sep, val = item.strip().partition("=")
                    if key == COOKIE:
                        cookie = val
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        language = negotiate(cookie, accept, self.default)
        scope.setdefault("state", {})["language"] = language
        token = use_language(language)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_language(token)
