"""Issue 11, point 4: what microcred issues verifies in an INDEPENDENT verifier (SQLite and PostgreSQL).

The demo is seeded as `microcred demo` seeds it, served by uvicorn on a free loopback port (its base URL is the
server's own, so its did:web DIDs and status list URLs resolve to it), and everything it issues is collected over
HTTP: every award (Data Integrity JSON), every partner endorsement, a CLR per earner, the status list credentials
and a holder-bound wallet copy (the OID4VCI pre-authorized flow, scripted). `node tests/interop/verify.mjs` checks
them with Digital Bazaar's libraries only, with the standard contexts as static documents and nothing else (see
tests/interop/README.md). Every credential must verify, except those the demo expires on purpose, which must fail
on their expiry; status bits are read by @digitalbazaar/vc-bitstring-status-list. The 1EdTech AchievementCredential
and EndorsementCredential JSON Schemas are applied verbatim (jsonschema, Draft 2019-09), with no allowance.

If Node.js or tests/interop/node_modules is missing, the tests FAIL (never skip): `make test` installs them.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from jsonschema import Draft201909Validator

from support.server import serve_in_thread
from support.smtp import free_port

INTEROP = Path(__file__).resolve().parent
ROOT = INTEROP.parents[1]
SCHEMAS = ROOT / "src" / "microcred" / "vc" / "schemas"
MICROCRED_CONTEXT = "https://microcred.org/contexts/ob-extensions/v1.jsonld"
STANDARD_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
}
API_TOKEN = "interop-token"
NODE_TIMEOUT = 300


# -- the verifier -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node() -> str:
    """Node.js and the verifier's packages; FAIL (never skip) when missing: `make test` installs them."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("Node.js (`node`, v20+) is not on PATH: install it (Debian: apt-get install -y nodejs npm)",
                    pytrace=False)
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail(f"{INTEROP / 'node_modules'} is missing: run `make interop` "
                    "(npm ci --no-audit --no-fund in tests/interop)", pytrace=False)
    return found


def run_verifier(node: str, credentials: list[dict[str, Any]], *, check_status: bool = True) -> dict[str, Any]:
    job = json.dumps({"credentials": credentials, "checkStatus": check_status})
    done = subprocess.run([node, "verify.mjs"], input=job, cwd=INTEROP, capture_output=True, text=True,
                          timeout=NODE_TIMEOUT, check=False)
    if done.returncode != 0:
        pytest.fail(f"verify.mjs exited with {done.returncode}:\n{done.stderr[-4000:]}", pytrace=False)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- the server under test ---------------------------------------------------------------------------------------
@dataclass
class Demo:
    backend: str
    base_url: str
    credentials: list[dict[str, Any]] = field(default_factory=list)  # {"name", "kind", "document"}
    lifecycle: dict[str, str] = field(default_factory=dict)  # revoked/suspended/expired/... -> credential id
    lapsed_endorsement: str = ""  # the endorsement the demo lets expire (relevance lapsed)
    wallet_award: str = ""  # credential id of the award delivered to the wallet
    wallet_did: str = ""
    wallet_error: str | None = None

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.credentials if c["kind"] == kind]

    @property
    def expired(self) -> set[str]:
        """Credential ids the demo expires on purpose."""
        return {self.lifecycle["expired"], self.lapsed_endorsement}


def _database(backend: str, tmp: Path, request: pytest.FixtureRequest) -> tuple[str, Any]:
    from tests.conftest import scratch_database

    return scratch_database(backend, tmp / "interop.db", request)


def _seed(factory: Any, settings: Any) -> tuple[Any, Any]:
    """What `microcred demo` seeds (evidence files, demo users, the ownership demo), less the ESCO import: it
    checks the alignments but changes nothing in a credential (measured: the same documents but for random ids),
    and costs 6-9 s per backend."""
    from microcred.assessments.storage import folder_store
    from microcred.demo import seed_demo, seed_demo_users, seed_ownership_demo
    from microcred.issuers import keystore

    with factory() as session:
        result = seed_demo(session, base_url=settings.base_url, master_key=keystore.load_master_key(settings),
                           evidence_store=folder_store(settings.data_dir))
        seed_demo_users(session, base_url=settings.base_url)
        ownership = seed_ownership_demo(session, base_url=settings.base_url)
        session.commit()
    return result, ownership


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:

    from microcred import db
    from microcred.demo import demo_id
    from microcred.settings import Settings
    from microcred.urls import credential_url
    from microcred.web.app import create_app

    backend = request.param
    tmp = tmp_path_factory.mktemp(f"interop-{backend}")
    url, drop = _database(backend, tmp, request)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        MICROCRED_DATA_DIR=tmp / "instance",
        DATABASE_URL=url,
        MICROCRED_BASE_URL=base_url,
        MICROCRED_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
        MICROCRED_API_TOKEN=API_TOKEN,
    )
    engine = db.make_engine(url)
    db.upgrade(engine=engine)
    factory = db.session_factory(engine)
    result, ownership = _seed(factory, settings)
    app = create_app(settings=settings, session_factory=factory)
    try:
        with serve_in_thread(app, port):
            found = Demo(backend, base_url)
            found.lifecycle = {name: credential_url(award_id, base_url) for name, award_id in result.lifecycle.items()}
            found.lapsed_endorsement = f"{base_url}/endorsements/{demo_id('endorsement:cyber-awareness')}"
            with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=60) as http:
                _collect(http, found, ownership)
            yield found
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def _get_json(http: httpx.Client, url: str) -> Any:
    response = http.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:500]}"
    return response.json()


def _status_urls(document: Any) -> list[str]:
    status = document.get("credentialStatus") if isinstance(document, dict) else None
    entries = status if isinstance(status, list) else [status] if status else []
    return [e["statusListCredential"] for e in entries if isinstance(e, dict) and "statusListCredential" in e]


def _contained(kind: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The credentials inside one: a CLR's (and their endorsements), an award's endorsements."""
    subject = document.get("credentialSubject", {})
    if kind == "clr":
        nested = list(subject.get("verifiableCredential", []))
        return nested + [e for n in nested for e in _contained("award", n)]
    if kind in ("award", "wallet"):
        return list(subject.get("achievement", {}).get("endorsement", []))
    return []


def _collect(http: httpx.Client, demo: Demo, ownership: Any) -> None:
    """Everything the demo issued, as a verifier would get it: over HTTP from the server under test."""
    for summary in _get_json(http, "/api/awards"):
        if summary["format"] != "di":
            continue
        award = _get_json(http, f"/api/awards/{summary['id']}")
        demo.credentials.append({"name": f"award {summary['achievement']} / {summary['earner']} ({summary['status']})",
                                 "kind": "award", "document": award["credential"]})
    for summary in _get_json(http, "/api/endorsements"):  # the public document at the endorsement's own id
        document = _get_json(http, f"/endorsements/{summary['id']}")
        demo.credentials.append({"name": f"endorsement {summary['achievement']} ({summary['state']})",
                                 "kind": "endorsement", "document": document})
    from microcred.demo import EARNERS

    for person in EARNERS:
        document = _get_json(http, f"/api/earners/{person['email']}/clr")
        demo.credentials.append({"name": f"CLR of {person['name']}", "kind": "clr", "document": document})
    lists: list[str] = []
    for credential in list(demo.credentials):
        for document in [credential["document"], *_contained(credential["kind"], credential["document"])]:
            lists += [u for u in _status_urls(document) if u not in lists]
    for url in lists:
        assert urlsplit(url).netloc == urlsplit(demo.base_url).netloc, f"{url} is not on the server under test"
        demo.credentials.append({"name": f"status list {urlsplit(url).path}", "kind": "statuslist",
                                 "document": _get_json(http, url.removeprefix(demo.base_url))})
    _wallet_copy(http, demo, ownership)


def _wallet_copy(http: httpx.Client, demo: Demo, ownership: Any) -> None:
    """A scripted OID4VCI wallet (pre-authorized code + tx_code) holding the demo wallet key, asking for ldp_vc."""
    from microcred.demo import DEMO_WALLET_KEY
    from microcred.urls import credential_url
    from microcred.vc.holder import sign_holder_jwt

    assert ownership is not None, "the demo seeded no ownership data (no wallet offer to follow)"
    demo.wallet_award = credential_url(ownership.award_id, demo.base_url)
    demo.wallet_did = DEMO_WALLET_KEY.did_key
    made = http.post(f"/api/awards/{ownership.award_id}/wallet-offer", json={})
    assert made.status_code == 201, made.text
    offer = _get_json(http, made.json()["credential_offer_uri"].removeprefix(demo.base_url))
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    metadata = _get_json(http, "/.well-known/openid-credential-issuer")
    token_url = _get_json(http, "/.well-known/oauth-authorization-server")["token_endpoint"]
    wallet = httpx.Client(timeout=60)  # a wallet has no API token
    with wallet:
        token = wallet.post(token_url, data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                             "pre-authorized_code": grant["pre-authorized_code"],
                                             "tx_code": made.json()["tx_code"]})
        assert token.status_code == 200, token.text
        nonce = wallet.post(metadata["nonce_endpoint"]).json()["c_nonce"]
        proof = sign_holder_jwt(DEMO_WALLET_KEY, audience=metadata["credential_issuer"], nonce=nonce)
        response = wallet.post(metadata["credential_endpoint"],
                               headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                               json={"credential_configuration_id": "OpenBadgeCredential_ldp_vc",
                                     "proofs": {"jwt": [proof]}})
    if response.status_code != 200:
        demo.wallet_error = f"POST {metadata['credential_endpoint']}: {response.status_code} {response.text[:500]}"
        return
    document = response.json()["credentials"][0]["credential"]
    demo.credentials.append({"name": "wallet copy (OID4VCI ldp_vc)", "kind": "wallet", "document": document})


@pytest.fixture(scope="module")
def verdicts(node: str, demo: Demo) -> dict[str, Any]:
    return run_verifier(node, demo.credentials)


def _controls(demo: Demo) -> list[dict[str, Any]]:
    """Credentials the verifier must refuse, each for one reason: it is not vacuous, and it fetches nothing. Made
    from a status list credential (VC 2.0 context only), so they do not depend on how awards are built."""
    base = demo.of_kind("statuslist")[0]["document"]

    def variant(change: Any) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(json.dumps(base))
        change(document)
        return document

    def tamper(d: dict[str, Any]) -> None:
        d["validFrom"] = "2020-01-01T00:00:00Z"

    def private(d: dict[str, Any]) -> None:
        d["@context"] = [*d["@context"], MICROCRED_CONTEXT]

    def elsewhere(d: dict[str, Any]) -> None:
        proof = d["proof"][0] if isinstance(d["proof"], list) else d["proof"]
        proof["verificationMethod"] = "did:web:issuer.example#" + proof["verificationMethod"].split("#")[-1]

    def remote_status(d: dict[str, Any]) -> None:
        d["credentialStatus"] = {"id": "https://issuer.example/status/1#5", "type": "BitstringStatusListEntry",
                                 "statusPurpose": "revocation", "statusListIndex": "5",
                                 "statusListCredential": "https://issuer.example/status/1"}

    return [{"name": name, "kind": "statuslist", "document": variant(change)} for name, change in
            (("tampered", tamper), ("private context", private), ("did:web elsewhere", elsewhere),
             ("status list elsewhere", remote_status))]


@pytest.fixture(scope="module")
def controls(node: str, demo: Demo) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in run_verifier(node, _controls(demo))["results"]}


def _flatten(results: list[dict[str, Any]], parent: str = "") -> Iterator[dict[str, Any]]:
    for result in results:
        result = {**result, "where": f"{parent} > {result['name']}" if parent else result["name"]}
        yield result
        yield from _flatten(result.get("nested", []), result["where"])


def _explain(result: dict[str, Any]) -> str:
    return f"{result['where']} [{result['kind']}] {result['id']}: " + " | ".join(result["errors"])[:600]


# -- tests --------------------------------------------------------------------------------------------------------
def test_the_verifier_bundles_only_standard_contexts(verdicts: dict[str, Any]) -> None:
    contexts = set(verdicts["contexts"])
    assert MICROCRED_CONTEXT not in contexts
    assert not [c for c in contexts if "microcred" in c]
    assert contexts >= STANDARD_CONTEXTS, STANDARD_CONTEXTS - contexts
    assert verdicts["libraries"]["@digitalbazaar/vc"] and verdicts["libraries"]["@digitalbazaar/data-integrity"]


def test_the_verifier_refuses_what_it_must(controls: dict[str, dict[str, Any]]) -> None:
    """Not vacuous: an edited credential fails its proof; an unknown context is an error, never fetched; did:web
    and status lists are resolved on loopback only."""
    for result in controls.values():
        assert not result["verified"], result
    assert any("signature" in e.lower() for e in controls["tampered"]["errors"]), controls["tampered"]["errors"]
    assert any(MICROCRED_CONTEXT in e for e in controls["private context"]["errors"]), controls["private context"]
    assert any("only loopback" in e for e in controls["did:web elsewhere"]["errors"]), controls["did:web elsewhere"]
    status = controls["status list elsewhere"]["status"]
    assert status and all(not s["verified"] and s["value"] is None for s in status), status
    assert all(any("only loopback" in e for e in s["errors"]) for s in status), status


def test_the_demo_issues_every_kind(demo: Demo) -> None:
    counts = {kind: len(demo.of_kind(kind)) for kind in ("award", "endorsement", "clr", "statuslist", "wallet")}
    assert demo.wallet_error is None, demo.wallet_error
    assert counts["award"] >= 10 and counts["endorsement"] >= 3 and counts["clr"] == 2, counts
    assert counts["statuslist"] >= 1 and counts["wallet"] == 1, counts
    ids = {c["document"]["id"] for c in demo.credentials}
    assert set(demo.lifecycle.values()) <= ids and demo.lapsed_endorsement in ids
    clr_nested = [n for c in demo.of_kind("clr") for n in c["document"]["credentialSubject"]["verifiableCredential"]]
    assert clr_nested, "the CLRs carry no credentials"


def test_everything_the_demo_issues_verifies_independently(demo: Demo, verdicts: dict[str, Any]) -> None:
    """100%, except what the demo expires on purpose: those fail on their expiry, and on nothing else."""
    problems = []
    checked = 0
    for result in _flatten(verdicts["results"]):
        checked += 1
        if result["id"] in demo.expired:
            expiry = [e for e in result["errors"] if "validUntil" in e]
            if result["verified"] or not expiry:
                problems.append(f"expected an expiry failure: {_explain(result)}")
        elif not result["verified"]:
            problems.append(_explain(result))
    assert checked > len(demo.credentials)  # nested endorsements and CLR contents were verified too
    assert not problems, f"{len(problems)} of {checked} credentials ({demo.backend}) fail the independent " \
                         "verifier:\n" + "\n".join(problems)


def _status(result: dict[str, Any], purpose: str) -> list[dict[str, Any]]:
    return [s for s in result.get("status", []) if s["purpose"] == purpose]


def test_status_bits_read_by_an_independent_checker(demo: Demo, verdicts: dict[str, Any]) -> None:
    """Revoked award -> its revocation bit reads 1; an active one -> 0; the list credentials verify and are the
    award issuer's (vc-bitstring-status-list checks both)."""
    by_id: dict[str, dict[str, Any]] = {}
    for result in verdicts["results"]:
        if result["kind"] == "award":
            by_id[result["id"]] = result
    problems = []
    for result in _flatten(verdicts["results"]):
        if result["kind"] in ("award", "endorsement", "wallet"):
            if not result.get("status"):
                problems.append(f"{result['where']}: no BitstringStatusListEntry read")
            for entry in result.get("status", []):
                if not entry["verified"] or entry["value"] is None:
                    problems.append(f"{result['where']}: {entry['purpose']} unreadable: {entry['errors']}")
    assert not problems, "\n".join(problems)

    revoked = by_id[demo.lifecycle["revoked"]]
    assert [s["value"] for s in _status(revoked, "revocation")] == [1], revoked["status"]
    suspended = by_id[demo.lifecycle["suspended"]]
    # one status entry per credential (OB 3.0): a suspension is an issuer-side hold, not revocation, so an
    # independent checker reads the suspended award as not revoked (docs/ob-extensions.md, "Status")
    assert [s["value"] for s in _status(suspended, "revocation")] == [0], suspended["status"]
    assert not _status(suspended, "suspension"), suspended["status"]
    special = {demo.lifecycle["revoked"], demo.lifecycle["suspended"]}
    active = [r for i, r in by_id.items() if i not in special]
    assert active
    for result in active:  # the expired one included: expiry is not a status
        assert {s["value"] for s in result["status"]} == {0}, (result["where"], result["status"])
    for result in _flatten(verdicts["results"]):
        if result["kind"] in ("endorsement", "wallet"):
            assert {s["value"] for s in result["status"]} == {0}, (result["where"], result["status"])


def test_the_wallet_copy_is_bound_to_the_holder(demo: Demo, verdicts: dict[str, Any]) -> None:
    assert demo.wallet_error is None, demo.wallet_error
    [copy] = [r for r in verdicts["results"] if r["kind"] == "wallet"]
    [document] = [c["document"] for c in demo.of_kind("wallet")]
    assert copy["verified"], copy["errors"]
    assert document["id"] == demo.wallet_award
    assert document["credentialSubject"]["id"] == demo.wallet_did
    assert copy["holder"] == {"did": demo.wallet_did, "resolved": True, "verificationMethod": 1, "errors": []}


# -- the 1EdTech JSON Schemas, verbatim -----------------------------------------------------------------------------
def _validator(name: str) -> Draft201909Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def _schema_problems(validator: Draft201909Validator, where: str, document: Any) -> list[str]:
    """``where: $.path: keyword value: message`` per violation (the keyword first: messages quote the instance)."""
    return [f"{where}: ${''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in e.absolute_path)}: "
            f"{e.validator} {json.dumps(e.validator_value)[:80]}: {e.message[:200]}"
            for e in validator.iter_errors(document)]


def test_the_1edtech_schemas_pass_verbatim(demo: Demo) -> None:
    """AchievementCredential on every award (wallet copy and CLR contents too), EndorsementCredential on every
    endorsement (embedded ones too)."""
    achievement = _validator("ob_v3p0_achievementcredential_schema.json")
    endorsement = _validator("ob_v3p0_endorsementcredential_schema.json")
    awards: list[tuple[str, Any]] = [(c["name"], c["document"]) for c in demo.credentials
                                     if c["kind"] in ("award", "wallet")]
    awards += [(f"{c['name']} > verifiableCredential[{i}]", d) for c in demo.of_kind("clr")
               for i, d in enumerate(c["document"]["credentialSubject"]["verifiableCredential"])]
    endorsements: list[tuple[str, Any]] = [(c["name"], c["document"]) for c in demo.of_kind("endorsement")]
    endorsements += [(f"{name} > endorsement[{i}]", d) for name, award in awards
                     for i, d in enumerate(award["credentialSubject"]["achievement"].get("endorsement", []))]
    assert len(awards) >= 10 and len(endorsements) >= 3
    problems = [p for where, d in awards for p in _schema_problems(achievement, where, d)]
    problems += [p for where, d in endorsements for p in _schema_problems(endorsement, where, d)]
    assert not problems, f"{len(problems)} schema violations ({len(awards)} awards, {len(endorsements)} " \
                         "endorsements):\n" + "\n".join(problems[:40])
