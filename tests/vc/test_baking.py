"""OB 3.0 baking: PNG iTXt and SVG <openbadges:credential>, round trips and hostile inputs."""

from __future__ import annotations

import io
import json
import zlib

import pytest
from PIL import Image

from microcred.vc import Ed25519Key, Verifier, default_resolver, sign_jwt
from microcred.vc.baking import (
    PNG_KEYWORD,
    SVG_NAMESPACE,
    BakingError,
    bake_png,
    bake_svg,
    looks_baked,
    unbake,
    unbake_png,
    unbake_svg,
)
from support.credentials import NOW, sample_credential, signed_sample

KEY = Ed25519Key.from_seed(bytes(range(32)))
SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 80, 160)).save(out, format="PNG")
    return out.getvalue()


def itxt_chunks(data: bytes) -> list[bytes]:
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"iTXt":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return chunks


def test_png_round_trip_is_one_uncompressed_itxt_chunk_and_verifies() -> None:
    credential = signed_sample(KEY)
    baked = bake_png(png(), credential)
    chunks = [c for c in itxt_chunks(baked) if c.startswith(PNG_KEYWORD.encode() + b"\x00")]
    assert len(chunks) == 1
    assert chunks[0][len(PNG_KEYWORD) + 1] == 0  # compression flag: none
    rebaked = bake_png(baked, credential)  # baking again replaces, never duplicates
    assert len([c for c in itxt_chunks(rebaked) if c.startswith(PNG_KEYWORD.encode())]) == 1
    text = unbake(rebaked)
    assert json.loads(text) == credential
    assert Verifier(default_resolver(), now=lambda: NOW).verify(text).verified
    assert Image.open(io.BytesIO(baked)).size == (8, 8)


def test_png_with_jwt() -> None:
    token = sign_jwt(sample_credential(issuer_id=KEY.did_key), KEY, KEY.did_key_verification_method)
    assert unbake_png(bake_png(png(), token)) == token


def test_compressed_itxt_written_by_others_is_still_read() -> None:
    # a chunk written with compression (which OB forbids for baking) is still read, then verified as usual
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt(PNG_KEYWORD, json.dumps({"a": 1}), zip=True)
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, format="PNG", pnginfo=info)
    assert json.loads(unbake_png(out.getvalue())) == {"a": 1}
    assert zlib  # module used by Pillow for the compressed chunk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a....", "not a baked badge"),
        (b"\x89PNG\r\n\x1a\nbroken", "could not be read"),
        (png(), "no 'openbadgecredential'"),
    ],
)
def test_bad_pngs(data: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake(data)


def test_bake_png_refuses_other_formats() -> None:
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, format="JPEG")
    with pytest.raises(BakingError, match="not a PNG"):
        bake_png(out.getvalue(), {"a": 1})
    with pytest.raises(BakingError):
        bake_png(b"nope", {"a": 1})


def test_svg_round_trip_json_and_jwt() -> None:
    credential = signed_sample(KEY)
    credential_with_cdata_end = {**credential, "name": "odd ]]> name"}
    baked = bake_svg(SVG, credential_with_cdata_end)
    assert f'xmlns:openbadges="{SVG_NAMESPACE}"' in baked
    assert baked.count("<openbadges:credential>") == 1
    assert json.loads(unbake(baked.encode())) == credential_with_cdata_end
    again = bake_svg(baked, credential)
    assert again.count("<openbadges:credential") == 1
    assert json.loads(unbake_svg(again)) == credential
    token = sign_jwt(sample_credential(issuer_id=KEY.did_key), KEY, KEY.did_key_verification_method)
    jwt_baked = bake_svg(SVG, token)
    assert f'verify="{token}"' in jwt_baked
    assert unbake_svg(jwt_baked) == token
    assert looks_baked(jwt_baked.encode()) and not looks_baked(b"{}")


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ("<svg", "well-formed"),
        ("<html/>", "not <svg>"),
        (SVG, "no Open Badges 3.0 credential"),
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
            "well-formed",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{SVG_NAMESPACE}">'
            "<openbadges:credential></openbadges:credential></svg>",
            "empty",
        ),
    ],
)
def test_bad_svgs(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg)


def test_bake_svg_refuses_non_svg() -> None:
    with pytest.raises(BakingError):
        bake_svg("<html></html>", {"a": 1})
