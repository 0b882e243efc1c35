"""Badge images generated for baking when an achievement has no PNG image of its own (PNG via Pillow, SVG text)."""

from __future__ import annotations

import hashlib
import io
import textwrap
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

SIZE = 400


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    # dark enough for white text (contrast > 4.5:1)
    return (digest[0] % 90 + 10, digest[1] % 90 + 30, digest[2] % 90 + 60)


def _lines(name: str, width: int = 16, limit: int = 4) -> list[str]:
    lines = textwrap.wrap(name, width=width) or [name]
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def badge_png(name: str, issuer: str) -> bytes:
    """A 400×400 round badge with the achievement name and the issuer."""
    fill = _colour(name + issuer)
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=(*fill, 255), outline=(255, 255, 255, 255), width=6)
    title, small = _font(30), _font(18)
    lines = _lines(name)
    y = SIZE // 2 - len(lines) * 19 - 10
    for line in lines:
        draw.text((SIZE // 2, y), line, font=title, fill=(255, 255, 255, 255), anchor="mt")
        y += 38
    draw.text((SIZE // 2, y + 14), _lines(issuer, 28, 1)[0], font=small, fill=(255, 255, 255, 255), anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def badge_svg(name: str, issuer: str) -> str:
    """The same badge as SVG (text escaped; ``role="img"`` and a title for assistive technology)."""
    r, g, b = _colour(name + issuer)
    lines = _lines(name)
    y0 = 200 - len(lines) * 19 + 12
    texts = "".join(
        f'<text x="200" y="{y0 + i * 38}" font-size="30" font-weight="bold" text-anchor="middle" '
        f'fill="#fff">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    issuer_line = escape(_lines(issuer, 28, 1)[0])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" role="img">'
        f"<title>{escape(name)} — {escape(issuer)}</title>"
        f'<circle cx="200" cy="200" r="192" fill="rgb({r},{g},{b})" stroke="#fff" stroke-width="6"/>'
        f'<g font-family="DejaVu Sans, Arial, sans-serif">{texts}'
        f'<text x="200" y="{y0 + len(lines) * 38 + 20}" font-size="18" text-anchor="middle" fill="#fff">'
        f"{issuer_line}</text></g></svg>"
    )
