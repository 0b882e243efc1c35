"""Open Badges 3.0 baking: a credential carried inside its badge image (OB 3.0 §"Baking").

PNG: one ``iTXt`` chunk, keyword ``openbadgecredential``, uncompressed; its text is the credential JSON or the
compact JWS. SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on ``<svg>`` and, directly inside it,
one ``<openbadges:credential>`` element holding the JSON in CDATA, or a ``verify`` attribute with the JWS.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from defusedxml import ElementTree as SafeET
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from microcred.vc.errors import VCError

PNG_KEYWORD = "openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 10 * 1024 * 1024


class BakingError(VCError):
    """An image that cannot be baked or unbaked."""


_OBJECT_REPR = re.compile(r"\s*<[A-Za-z_][^<>]{0,200}? at 0x[0-9A-Fa-f]+>")


def _reason(exc: BaseException) -> str:
    """Pillow's message without the object reprs it sometimes carries (``<_io.BytesIO object at 0x...>``)."""
    return _OBJECT_REPR.sub("", str(exc)).strip() or exc.__class__.__name__


def _payload(credential: dict[str, Any] | str) -> tuple[str, bool]:
    """The text to bake and whether it is a JWS."""
    if isinstance(credential, str):
        return credential.strip(), True
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":")), False


def bake_png(image: bytes, credential: dict[str, Any] | str) -> bytes:
    """Return ``image`` with exactly one uncompressed ``openbadgecredential`` iTXt chunk."""
    if len(image) > MAX_IMAGE_BYTES:
        raise BakingError("the image is larger than 10 MiB")
    try:
        source = Image.open(io.BytesIO(image))
        if source.format != "PNG":
            raise BakingError(f"not a PNG image (found {source.format})")
        source.load()
    except UnidentifiedImageError:  # its message names the BytesIO object: say what it means instead
        raise BakingError("not a readable PNG image: the data is not an image format this instance reads") from None
    except (OSError, SyntaxError) as exc:
        raise BakingError(f"not a readable PNG image: {_reason(exc)}") from None
    info = PngImagePlugin.PngInfo()
    # Keep other text chunks, drop any earlier credential (only one may be present).
    for key, value in getattr(source, "text", {}).items():
        if key != PNG_KEYWORD:
            info.add_text(key, value)
    text, _ = _payload(credential)
    info.add_itxt(PNG_KEYWORD, text, lang="", tkey="", zip=False)
    out = io.BytesIO()
    source.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def unbake_png(image: bytes) -> str:
    """The credential text (JSON or JWS) of the first ``openbadgecredential`` iTXt chunk."""
    if not image.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file")
    if len(image) > MAX_IMAGE_BYTES:
        raise BakingError("the image is larger than 10 MiB")
    try:
        source = Image.open(io.BytesIO(image))
        source.load()
        text = getattr(source, "text", {}).get(PNG_KEYWORD)
    except UnidentifiedImageError:
        raise BakingError("the PNG could not be read: it has a PNG signature but no readable image data") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BakingError(f"the PNG could not be read: {_reason(exc)}") from None
    if not text:
        raise BakingError("this PNG carries no Open Badges 3.0 credential (no 'openbadgecredential' iTXt chunk)")
    return str(text)


_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_CREDENTIAL_ELEMENT = re.compile(r"<openbadges:credential\b[^>]*?(?:/>|>.*?</openbadges:credential>)", re.DOTALL)


def bake_svg(svg: bytes | str, credential: dict[str, Any] | str) -> str:
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    _parse_svg(text)  # refuse what is not a well-formed SVG document
    text = _CREDENTIAL_ELEMENT.sub("", text)
    match = _SVG_OPEN.search(text)
    if match is None:
        raise BakingError("no <svg> element found")
    opening = match.group(0)
    self_closing = opening.endswith("/>")
    if self_closing:  # <svg .../> has nowhere to put a child: open it and close it after the credential
        opening = opening[:-2].rstrip() + ">"
    if "xmlns:openbadges=" not in opening:
        opening = opening[:-1] + f' xmlns:openbadges="{SVG_NAMESPACE}"' + ">"
    payload, is_jws = _payload(credential)
    if is_jws:
        element = f'<openbadges:credential verify="{payload}"></openbadges:credential>'
    else:
        # "]]>" cannot appear inside CDATA: split it across two sections.
        element = (
            "<openbadges:credential><![CDATA["
            + payload.replace("]]>", "]]]]><![CDATA[>")
            + "]]></openbadges:credential>"
        )
    closing = "</svg>" if self_closing else ""
    baked = text[: match.start()] + opening + element + closing + text[match.end() :]
    _parse_svg(baked)
    return baked


def _parse_svg(text: str) -> Any:
    try:
        root = SafeET.fromstring(text)
    except Exception as exc:  # defusedxml raises several kinds (ParseError, EntitiesForbidden, ...)
        raise BakingError(f"not a well-formed SVG document: {exc}") from None
    if not str(root.tag).endswith("svg"):
        raise BakingError("the document's root element is not <svg>")
    return root


def unbake_svg(svg: bytes | str) -> str:
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    if len(text) > MAX_IMAGE_BYTES:
        raise BakingError("the image is larger than 10 MiB")
    root = _parse_svg(text)
    element = root.find(f"{{{SVG_NAMESPACE}}}credential")
    if element is None:
        element = next(iter(root.iter(f"{{{SVG_NAMESPACE}}}credential")), None)
    if element is None:
        raise BakingError("this SVG carries no Open Badges 3.0 credential (<openbadges:credential>)")
    jws = element.get("verify")
    if jws:
        return str(jws).strip()
    if element.text and element.text.strip():
        return str(element.text).strip()
    raise BakingError("the <openbadges:credential> element is empty")


def unbake(data: bytes) -> str:
    """The credential carried by a baked PNG or SVG (detected by content, not by file name)."""
    if data.startswith(PNG_SIGNATURE):
        return unbake_png(data)
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) or b"<svg" in head:
        return unbake_svg(data)
    raise BakingError("not a baked badge: expected a PNG or SVG image")


def looks_baked(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return data.startswith(PNG_SIGNATURE) or b"<svg" in head
