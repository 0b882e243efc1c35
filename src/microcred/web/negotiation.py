"""HTTP content negotiation (RFC 9110 Accept with q-values), kept small and explicit."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

JSON_LD = "application/ld+json"
VC_LD_JSON = "application/vc+ld+json"
JSON = "application/json"
VC_JWT = "application/vc+jwt"
HTML = "text/html"


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int | None:
        """How precisely this range matches ``media_type`` (2 exact, 1 type/*, 0 */*), None if not."""
        t, _, s = media_type.partition("/")
        if self.type == t and self.subtype == s:
            return 2
        if self.type == t and self.subtype == "*":
            return 1
        if self.type == "*" and self.subtype == "*":
            return 0
        return None


def parse_accept(header: str | None) -> list[_Range]:
    ranges: list[_Range] = []
    for part in (header or "").split(","):
        part = part.strip()
        if not part:
            continue
        media, *params = (p.strip() for p in part.split(";"))
        t, _, s = media.lower().partition("/")
        if not t or not s:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append(_Range(t, s, q))
    return ranges


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers; ties go to the most specific match, then to the
    server's order in ``offered``. None when nothing offered is acceptable. No header accepts anything."""
    ranges = parse_accept(header)
    if not ranges:
        return offered[0] if offered else None
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for index, media_type in enumerate(offered):
        match: tuple[int, float] | None = None
        for r in ranges:
            spec = r.specificity(media_type)
            if spec is not None and (match is None or spec > match[0]):
                match = (spec, r.q)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -index)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


def wants_html(request: Request) -> bool:
    """True when a browser-like client prefers HTML over JSON."""
    return choose(request.headers.get("accept"), [JSON, HTML]) == HTML
