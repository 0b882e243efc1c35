"""`microcred keys generate`, `microcred sign`, `microcred verify`: the standards core from the shell."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from microcred.cli import app
from microcred.cli._common import EXIT_FAILED, fail, read_bytes, read_json, write_output
from microcred.cli._runtime import errors
from microcred.vc import (
    ContextRegistry,
    Ed25519Key,
    VerificationResult,
    load_key_file,
    sign_data_integrity,
    sign_jwt,
)
from microcred.vc.baking import looks_baked, unbake
from microcred.vc.jose import looks_like_jwt
from microcred.vc.schema import schema_errors, schema_for

keys_app = typer.Typer(help="Ed25519 signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class SignFormat(StrEnum):
    di = "di"
    jwt = "jwt"


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path | None, typer.Option("--out", help="Write the key file here (mode 0600).")] = None,
) -> None:
    """Generate an Ed25519 key as a did:key (JSON: id, controller, publicKeyMultibase, secretKeyMultibase)."""
    key = Ed25519Key.generate()
    document = {
        "id": key.did_key_verification_method,
        "type": "Multikey",
        "controller": key.did_key,
        "publicKeyMultibase": key.public_multibase,
        "secretKeyMultibase": key.secret_multibase,
    }
    write_output(json.dumps(document, indent=2), out, private=True)


def _registry(extra_contexts: Path | None) -> ContextRegistry:
    registry = ContextRegistry.default()
    if extra_contexts is None:
        return registry
    with errors(prefix="--extra-contexts: "):
        return registry.with_extra_dir(extra_contexts)


@app.command("sign")
def sign(
    file: Annotated[Path, typer.Argument(help="The unsigned credential (JSON).")],
    key: Annotated[Path, typer.Option("--key", help="Key file (microcred, W3C keyPair.json or 1EdTech form).")],
    fmt: Annotated[SignFormat, typer.Option("--format", help="di (Data Integrity) or jwt (VC-JOSE).")] = SignFormat.di,
    created: Annotated[str | None, typer.Option("--created", help="Proof creation time, ISO 8601.")] = None,
    verification_method: Annotated[
        str | None, typer.Option("--verification-method", help="Verification method URL to name in the proof.")
    ] = None,
    extra_contexts: Annotated[
        Path | None, typer.Option("--extra-contexts", help="Also trust the contexts in DIR/index.json (this run).")
    ] = None,
) -> None:
    """Sign a credential; prints the signed credential (JSON) or the compact JWT on stdout."""
    credential = read_json(file)
    if not isinstance(credential, dict):
        fail(f"{file}: a credential must be a JSON object")
    key_data = read_json(key)
    with errors(prefix=f"{key}: "):
        key_file = load_key_file(key_data)
    vm = verification_method or key_file.verification_method or key_file.key.did_key_verification_method
    schema_url = schema_for(credential)
    if schema_url:
        problems = schema_errors({k: v for k, v in credential.items() if k != "proof"}, schema_url)
        if problems:
            fail(f"{file}: does not match the OB 3.0 JSON Schema: {problems[0]}")
    registry = _registry(extra_contexts)
    with errors(prefix=f"{file}: "):
        if fmt is SignFormat.jwt:
            from microcred.vc import jsonld

            jsonld.expand(credential, registry)  # same vocabulary checks as Data Integrity
            typer.echo(sign_jwt(credential, key_file.key, vm))
        else:
            signed = sign_data_integrity(credential, key_file.key, vm, created=created, registry=registry)
            typer.echo(json.dumps(signed, indent=2, ensure_ascii=False))


def _instance_credential(url: str) -> str:
    """A credential served by this instance, read from its store (only this instance's URLs are accepted)."""
    from microcred.awards.queries import export_award, find_award
    from microcred.settings import get_settings
    from microcred.urls import credential_url
    from microcred.verification import open_instance_store

    prefix = credential_url("", get_settings().base_url)
    if not url.startswith(prefix):
        fail(f"{url}: only URLs of this instance ({prefix}...) can be verified; download the file instead")
    award_id = url[len(prefix):].split("?", 1)[0].split("#", 1)[0]
    factory = open_instance_store()
    award = None
    if factory is not None:
        with factory() as session:
            try:
                award = find_award(session, award_id)
            except ValueError:
                award = None
            if award is not None:
                return export_award(award, "di")
    fail(f"{url}: no such credential on this instance")


def _inputs(source: str) -> list[tuple[str, Any]]:
    if source.startswith(("http://", "https://")):
        return [(source, _instance_credential(source))]
    raw = read_bytes(Path(source))
    if looks_baked(raw):
        with errors(prefix=f"{source}: "):  # BakingError: an image that carries no readable credential
            return [(source, unbake(raw))]  # a baked PNG / SVG badge: verify what it carries
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        fail(f"{source}: not UTF-8 text, and not a baked PNG or SVG badge")
    if looks_like_jwt(text):
        return [(source, text)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{source}: neither JSON nor a compact JWT ({exc.msg} at line {exc.lineno})")
    if isinstance(data, list):
        if not data:
            fail(f"{source}: the JSON array holds no credential")
        return [(f"{source}[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return [(source, data)]
    fail(f"{source}: expected a credential object, an array of credentials or a JWT")


def _print_result(console: Console, label: str, result: VerificationResult, depth: int = 0) -> None:
    # Data (file names, DIDs, reasons) goes in as Text: never read as Rich markup or emoji codes (did:key:z6Mk...
    # would print a key emoji).
    verdict = Text("VERIFIED", style="bold green") if result.verified else Text("NOT VERIFIED", style="bold red")
    title = Text.assemble("  " * depth, label, ": ", verdict)
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("reason", overflow="fold")
    for check in result.checks:
        outcome = Text("pass", style="green") if check.passed else Text("FAIL", style="red")
        table.add_row(Text(check.check), outcome, Text(check.reason))
    console.print(table)
    for nested in result.nested:  # each credential inside a CLR, each embedded endorsement
        _print_result(console, f"{label} › {nested.label} ({nested.kind})", nested.result, depth + 1)


@app.command("verify")
def verify(
    sources: Annotated[
        list[str], typer.Argument(help="Files (JSON, JSON array, JWT, baked PNG/SVG) or URLs of this instance.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per credential, one per line.")] = False,
    trusted_keys: Annotated[
        Path | None, typer.Option("--trusted-keys", help="JSON: verification-method URL -> publicKeyMultibase.")
    ] = None,
    extra_contexts: Annotated[
        Path | None, typer.Option("--extra-contexts", help="Also trust the contexts in DIR/index.json (this run).")
    ] = None,
) -> None:
    """Verify credentials. Exit 0 if all verified, 1 if any failed, 2 if an input could not be read."""
    from microcred.verification import instance_verifier, load_pinned_keys, open_instance_store

    with errors(prefix="--trusted-keys: "):  # KeyFormatError: an unreadable or malformed file
        pinned = load_pinned_keys(trusted_keys)
    registry = _registry(extra_contexts)
    inputs = [item for source in sources for item in _inputs(source)]
    store = open_instance_store()
    with errors(prefix="trusted keys: "):  # KeyFormatError: a malformed MICROCRED_TRUSTED_KEYS
        verifier = instance_verifier(store, pinned=pinned, registry=registry)
    console = Console(highlight=False, emoji=False)
    all_ok = True
    verified: list[Any] = []
    for label, credential in inputs:
        result = verifier.verify(credential)
        verified.append(result.credential)
        all_ok = all_ok and result.verified
        if as_json:
            typer.echo(json.dumps({"source": label, **result.to_json()}, ensure_ascii=False))
            continue
        _print_result(console, label, result)
    _count_verifications(store, verified)
    if not all_ok:
        raise typer.Exit(EXIT_FAILED)


def _count_verifications(store: Any, documents: list[Any]) -> None:
    """Run against an instance, each of its own credentials verified counts in its analytics (channel cli), best
    effort: a database that cannot take the count (not migrated, busy) changes nothing in the verdicts."""
    from sqlalchemy.exc import SQLAlchemyError

    from microcred.analytics import services as analytics
    from microcred.awards import queries as awards
    from microcred.db import session_scope
    from microcred.settings import get_settings

    if store is None:
        return
    base_url = get_settings().base_url
    try:
        with session_scope(store) as session:
            for award_id in filter(None, (analytics.award_id_in(d, base_url) for d in documents)):
                award = awards.find_award(session, award_id)
                if award is not None:
                    analytics.record(session, "verification", achievement_id=award.achievement_id, channel="cli")
    except SQLAlchemyError:
        return
