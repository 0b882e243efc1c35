"""QR codes as inline SVG (segno), for printing or scanning a credential's public URL."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=2048)
def qr_svg(url: str, *, title: str = "QR code") -> str:
    """An inline ``<svg>`` (no XML declaration) encoding ``url``, with a title for assistive technology.

    Kept per process (a pure function of its arguments; encoding a QR code costs more than the rest of a credential
    page): public credential URLs repeat, one-time offer links simply pass through."""
    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(scale=4, border=2, title=title, dark="#000", light="#fff", svgclass="qr-code")
    return svg.replace("<svg ", '<svg role="img" ', 1)
