"""Keys (Multikey, JWK, key files), DIDs and key resolution."""

from __future__ import annotations

import json
from typing import Any

import pytest

from microcred.vc import Ed25519Key, KeyFormatError, KeyResolutionError, load_key_file
from microcred.vc.did import did_document, did_key_document, did_web_from_url, key_from_did_key, url_from_did_web
from microcred.vc.keys import decode_multibase_base58, public_key_from_multibase
from microcred.vc.resolvers import (
    PinnedKeyResolver,
    TrustedHostResolver,
    default_resolver,
    find_verification_method,
)
from support.vectors import EXAMPLES, W3C, load

SEED = bytes(range(32))


def test_multikey_round_trips() -> None:
    key = Ed25519Key.from_seed(SEED)
    assert key.public_multibase.startswith("z6Mk")
    assert Ed25519Key.from_secret_multibase(key.secret_multibase).seed() == SEED
    assert Ed25519Key.from_public_multibase(key.public_multibase).public_bytes() == key.public_bytes()
    assert public_key_from_multibase(key.public_multibase) == key.public_bytes()
    assert Ed25519Key.from_jwk(key.private_jwk()).seed() == SEED
    public = Ed25519Key.from_jwk(key.public_jwk())
    assert not public.has_private and key.has_private
    assert public.verify(key.sign(b"m"), b"m") and not public.verify(key.sign(b"m"), b"n")
    assert "private=no" in repr(public) and key.secret_multibase not in repr(key)
    assert key.public_only().public_multibase == key.public_multibase


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Ed25519Key.from_seed(b"short"), "32 bytes"),
        (lambda: Ed25519Key.from_public_bytes(b"short"), "32 bytes"),
        (lambda: Ed25519Key.from_public_multibase("abc"), "multibase"),
        (lambda: Ed25519Key.from_public_multibase("z0OIl"), "base58"),
        (lambda: Ed25519Key.from_public_multibase("z" + "1" * 10), "Multikey"),
        (lambda: Ed25519Key.from_secret_multibase("z" + "2" * 10), "Ed25519"),
        (lambda: Ed25519Key.from_jwk({"kty": "RSA"}), "OKP"),
        (lambda: Ed25519Key.from_seed(SEED).public_only().sign(b"x"), "public key only"),
        (lambda: Ed25519Key.from_seed(SEED).public_only().seed(), "public key only"),
    ],
)
def test_key_errors_are_clear(call: Any, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        call()


def test_jwk_with_mismatched_parts() -> None:
    jwk = Ed25519Key.from_seed(SEED).private_jwk()
    jwk["x"] = Ed25519Key.from_seed(bytes(32)).public_jwk()["x"]
    with pytest.raises(KeyFormatError, match="do not match"):
        Ed25519Key.from_jwk(jwk)


def test_key_file_forms() -> None:
    w3c = load_key_file(load(W3C / "keyPair.json"))
    assert w3c.key.public_multibase == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert w3c.verification_method is None
    vector = load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")
    onedtech = load_key_file(vector)  # the whole vector file: its keyPair is used
    assert onedtech.key.public_bytes().hex() == vector["keyPair"]["publicKeyHex"]
    assert onedtech.verification_method == vector["keyPair"]["verificationMethod"]
    assert onedtech.controller == vector["keyPair"]["controller"]
    hex_only = load_key_file({"privateKeyHex": vector["keyPair"]["privateKeyHex"][:64]})
    assert hex_only.key.public_multibase == vector["keyPair"]["publicKeyMultibase"]
    key = Ed25519Key.from_seed(SEED)
    assert load_key_file({"privateKeyJwk": key.private_jwk()}).key.seed() == SEED
    assert load_key_file(key.private_jwk()).key.seed() == SEED
    ours = load_key_file({"id": key.did_key_verification_method, "secretKeyMultibase": key.secret_multibase})
    assert ours.verification_method == key.did_key_verification_method
    for bad in ([], {"privateKeyHex": "zz"}, {"privateKeyHex": "00"}, {"publicKeyMultibase": key.public_multibase}):
        with pytest.raises(KeyFormatError):
            load_key_file(bad)


def test_did_web_mapping() -> None:
    assert did_web_from_url("http://127.0.0.1:8000/issuers/abc") == "did:web:127.0.0.1%3A8000:issuers:abc"
    assert did_web_from_url("https://example.ca") == "did:web:example.ca"
    assert url_from_did_web("did:web:example.ca") == "https://example.ca/.well-known/did.json"
    assert url_from_did_web("did:web:127.0.0.1%3A8000:issuers:abc#key") == "https://127.0.0.1:8000/issuers/abc/did.json"
    with pytest.raises(ValueError, match="absolute"):
        did_web_from_url("/relative")
    for bad in ("did:key:z6Mk", "did:web:", "did:web:a%2Fb"):
        with pytest.raises(KeyResolutionError):
            url_from_did_web(bad)


def test_did_key_documents() -> None:
    key = Ed25519Key.from_seed(SEED)
    document = did_key_document(key.did_key)
    assert document["id"] == key.did_key
    assert document["assertionMethod"] == [key.did_key_verification_method]
    assert document["verificationMethod"][0]["publicKeyMultibase"] == key.public_multibase
    assert key_from_did_key(key.did_key).public_bytes() == key.public_bytes()
    with pytest.raises(KeyResolutionError, match="fragment"):
        key_from_did_key(key.did_key + "#other")
    with pytest.raises(KeyResolutionError):
        key_from_did_key("did:key:zBad")
    with pytest.raises(KeyResolutionError):
        key_from_did_key("did:web:x")
    assert did_document("did:web:x", [])["verificationMethod"] == []


class FakeFetch:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.urls: list[str] = []

    def __call__(self, url: str) -> Any:
        self.urls.append(url)
        if url not in self.documents:
            raise KeyResolutionError(f"{url} answered HTTP 404")
        return self.documents[url]


def test_trusted_hosts_only() -> None:
    key = Ed25519Key.from_seed(SEED)
    did = "did:web:issuer.example:orgs:1"
    vm = f"{did}#{key.public_multibase}"
    fetch = FakeFetch({"https://issuer.example/orgs/1/did.json": did_document(did, [(vm, key.public_multibase)])})
    resolver = TrustedHostResolver(["issuer.example"], fetch)
    resolved = resolver.resolve(vm)
    assert resolved.controller == did and resolved.key.public_bytes() == key.public_bytes()
    with pytest.raises(KeyResolutionError, match="not configured as trusted"):
        resolver.resolve("did:web:evil.example#k")
    with pytest.raises(KeyResolutionError, match="not configured as trusted"):
        resolver.resolve("https://169.254.169.254/latest#k")
    with pytest.raises(KeyResolutionError, match="only did:web and https"):
        resolver.resolve("http://issuer.example/k#1")
    with pytest.raises(KeyResolutionError, match="not listed"):
        resolver.resolve(f"{did}#zOther")
    assert fetch.urls == ["https://issuer.example/orgs/1/did.json"] * 2
    https_vm = "https://issuer.example/keys/1#k"
    fetch.documents["https://issuer.example/keys/1"] = {
        "id": https_vm,
        "type": "Multikey",
        "controller": "https://issuer.example/keys/1",
        "publicKeyMultibase": key.public_multibase,
    }
    assert resolver.resolve(https_vm).key.public_bytes() == key.public_bytes()


def test_find_verification_method_errors() -> None:
    with pytest.raises(KeyResolutionError, match="not a JSON object"):
        find_verification_method([], "x")
    with pytest.raises(KeyResolutionError, match="no publicKeyMultibase"):
        find_verification_method({"verificationMethod": [{"id": "x"}]}, "x")


def test_pinned_and_default_chain() -> None:
    key = Ed25519Key.from_seed(SEED)
    with pytest.raises(KeyFormatError):
        PinnedKeyResolver({"https://x.example#1": 5})  # type: ignore[dict-item]
    chain = default_resolver(
        pinned={"https://x.example/i#1": key.public_multibase},
        trusted_hosts=["h.example"],
        fetch=FakeFetch({}),
    )
    assert chain.resolve("https://x.example/i#1").controller == "https://x.example/i"
    with pytest.raises(KeyResolutionError, match="HTTP 404"):
        chain.resolve("did:web:h.example#k")


def _status_list_fetch() -> tuple[Any, type[Exception]]:
    from microcred import verification

    return verification._https_fetch, verification.StatusListUnavailable


def _key_document_fetch() -> tuple[Any, type[Exception]]:
    from microcred.vc import resolvers

    return resolvers._default_fetch, KeyResolutionError


@pytest.mark.parametrize("fetcher", [_key_document_fetch, _status_list_fetch], ids=["key-document", "status-list"])
def test_default_fetch_refuses_non_200_and_large_bodies(monkeypatch: pytest.MonkeyPatch, fetcher: Any) -> None:
    """Key documents and status lists go through the one size-limited fetch: same limits, same refusals, each
    reported as its caller's error."""
    import httpx

    fetch, error = fetcher()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/big/did.json":
            return httpx.Response(200, content=b"x" * (300 * 1024))
        if request.url.path == "/text/did.json":
            return httpx.Response(200, content=b"not json")
        if request.url.path == "/ok/did.json":
            return httpx.Response(200, content=json.dumps({"id": "did:web:h.example:ok"}).encode())
        return httpx.Response(404)

    original = httpx.Client

    def client(*args: Any, **kwargs: Any) -> httpx.Client:
        return original(*args, transport=httpx.MockTransport(handler), **kwargs)

    monkeypatch.setattr(httpx, "Client", client)
    with pytest.raises(error, match="more than 262144 bytes"):
        fetch("https://h.example/big/did.json")
    with pytest.raises(error, match="did not return JSON"):
        fetch("https://h.example/text/did.json")
    with pytest.raises(error, match="HTTP 404"):
        fetch("https://h.example/missing/did.json")
    assert fetch("https://h.example/ok/did.json") == {"id": "did:web:h.example:ok"}


def test_decode_multibase_rejects_non_strings() -> None:
    with pytest.raises(KeyFormatError):
        decode_multibase_base58(5)  # type: ignore[arg-type]
    assert json.dumps(Ed25519Key.from_seed(SEED).public_jwk())
