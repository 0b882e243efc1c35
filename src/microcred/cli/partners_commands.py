"""`microcred partners ...`, `microcred endorsements ...` and `microcred achievements ...` (issue 7).

Exit codes: 0 ok; 2 bad input (unknown id, refused step, unreadable option), with one line saying why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from microcred.cli import app
from microcred.cli._common import fail, write_output
from microcred.cli._runtime import load_settings, unit_of_work

partners_app = typer.Typer(help="Employer, industry and professional-body partners.", no_args_is_help=True)
endorsements_app = typer.Typer(help="Partner endorsements (OB 3.0 EndorsementCredential).", no_args_is_help=True)
achievements_app = typer.Typer(
    help="Labour-market links, coverage and relevance of achievements.", no_args_is_help=True
)
app.add_typer(partners_app, name="partners")
app.add_typer(endorsements_app, name="endorsements")
app.add_typer(achievements_app, name="achievements")

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _yes_no(value: str, what: str) -> bool:
    text = value.strip().lower()
    if text not in ("yes", "no"):
        fail(f"{what} must be yes or no (got {value!r})")
    return text == "yes"


def _pair(value: str, what: str) -> tuple[str, str]:
    code, sep, title = value.partition("=")
    if not sep or not code.strip() or not title.strip():
        fail(f"{what} must be CODE=TITLE (got {value!r})")
    return code.strip(), title.strip()


def _send(notes: list[Any]) -> int:
    from microcred.partners import services as partners

    return partners.send_notifications(load_settings(), notes) if notes else 0


# -- partners -----------------------------------------------------------------------------------------------------
@partners_app.command("create")
def partners_create(
    name: Annotated[str, typer.Argument(help="The partner organisation's name.")],
    partner_type: Annotated[str, typer.Option("--type", help="employer, industry or professional_body.")],
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2 code.")] = "CA",
    sector: Annotated[str | None, typer.Option("--sector")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    url: Annotated[str | None, typer.Option("--url")] = None,
) -> None:
    """A new partner organisation with its own signing key and did:web identity."""
    from microcred.issuers import services as issuers
    from microcred.partners import services as partners

    with unit_of_work() as session:
        org, _partner = partners.create_partner(
            session, partner_type=partner_type, sector=sector, name=name, country=country, email=email, url=url
        )
        issuers.ensure_signing_key(session, org)
        did = issuers.did_for(org, load_settings().base_url)
    typer.echo(f"partner {org.id} created ({did})")


@partners_app.command("list")
def partners_list(as_json: Json = False) -> None:
    """Partner organisations."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        rows = [
            {"id": str(o.id), "name": o.name, "partner_type": p.partner_type, "sector": p.sector, "country": o.country}
            for p, o in partners.list_partners(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "type", "sector")
    for r in rows:
        table.add_row(r["id"], r["name"], r["partner_type"], r["sector"] or "")
    Console(width=200).print(table)


# -- endorsements -------------------------------------------------------------------------------------------------
@endorsements_app.command("list")
def endorsements_list(as_json: Json = False) -> None:
    """Every partner endorsement with its state (current, expired, revoked)."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        rows = [partners.endorsement_summary(session, e) for e in partners.list_endorsements(session)]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "achievement", "partner", "state", "valid until")
    for r in rows:
        table.add_row(r["id"], r["achievement"], r["partner"], r["state"], (r["valid_until"] or "")[:10])
    Console(width=200).print(table)


@endorsements_app.command("export")
def endorsements_export(
    endorsement_id: Annotated[str, typer.Argument(help="The endorsement's id.")],
    out: Annotated[Path, typer.Option("--out", help="Write the signed EndorsementCredential here.")],
) -> None:
    """The signed EndorsementCredential (JSON-LD, Data Integrity proof); `microcred verify` checks it."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        document = partners.endorsement_document(partners.get_endorsement(session, endorsement_id))
    write_output(json.dumps(document, ensure_ascii=False, indent=2), out)
    typer.echo(f"endorsement {endorsement_id} written to {out}")


@endorsements_app.command("revoke")
def endorsements_revoke(
    endorsement_id: Annotated[str, typer.Argument(help="The endorsement's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (kept privately).")],
) -> None:
    """Withdraw an endorsement (status list bit set); the achievement's relevance lapses unless another is current."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        row, notes = partners.revoke_endorsement(session, endorsement_id, reason=reason)
    _send(notes)
    typer.echo(f"endorsement {row.id} revoked")


@endorsements_app.command("request")
def endorsements_request(
    achievement_id: Annotated[str, typer.Argument(help="The achievement to endorse.")],
    partner: Annotated[str, typer.Option("--partner", help="The partner organisation's id.")],
    message: Annotated[str | None, typer.Option("--message")] = None,
) -> None:
    """Ask a partner to review and endorse an achievement (its reviewers are emailed)."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        row, notes = partners.request_endorsement(
            session,
            achievement_id=achievement_id,
            partner_id=partner,
            message=message,
            base_url=load_settings().base_url,
        )
        row_id = row.id
    _send(notes)
    typer.echo(f"endorsement request {row_id} sent")


@endorsements_app.command("answer")
def endorsements_answer(
    request_id: Annotated[str, typer.Argument(help="The endorsement request.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="The partner reviewer's email.")],
    in_demand: Annotated[str, typer.Option("--in-demand", help="Is the competency in demand? yes|no")],
    rationale: Annotated[str, typer.Option("--rationale", help="Labour-market rationale.")],
    reflects: Annotated[str, typer.Option("--reflects", help="Does the assessment reflect job performance? yes|no")],
    comment: Annotated[str, typer.Option("--comment", help="Comment on the assessment.")],
    decision: Annotated[str, typer.Option("--decision", help="endorse, request_changes or decline.")] = "endorse",
    note: Annotated[str | None, typer.Option("--note", help="What to change / why declined.")] = None,
    endorsement_comment: Annotated[str | None, typer.Option("--endorsement-comment")] = None,
) -> None:
    """The partner reviewer's two answers and decision; `endorse` signs with the partner's key."""
    from microcred.accounts import services as accounts
    from microcred.partners import services as partners

    answers = partners.Answers(
        in_demand=_yes_no(in_demand, "--in-demand"),
        in_demand_rationale=rationale,
        reflects_job_performance=_yes_no(reflects, "--reflects"),
        job_performance_comment=comment,
        endorsement_comment=endorsement_comment,
    )
    with unit_of_work() as session:
        user = accounts.find_user_by_email(session, reviewer)
        if user is None:
            fail(f"no user {reviewer}")
        row, endorsement, notes = partners.answer_request(
            session,
            request_id,
            reviewer_id=user.id,
            answers=answers,
            decision=decision,
            note=note,
            base_url=load_settings().base_url,
        )
        status, endorsement_id = row.status, endorsement.id if endorsement else None
    _send(notes)
    typer.echo(f"request {request_id}: {status}" + (f" (endorsement {endorsement_id})" if endorsement_id else ""))


# -- achievements ---------------------------------------------------------------------------------------------------
@achievements_app.command("occupations")
def achievements_occupations(
    achievement_id: Annotated[str, typer.Argument(help="The achievement.")],
    esco: Annotated[list[str] | None, typer.Option("--esco", help="ESCO occupation URI (repeat).")] = None,
    noc: Annotated[list[str] | None, typer.Option("--noc", help="NOC 2021 CODE=TITLE (repeat).")] = None,
    cip: Annotated[str | None, typer.Option("--cip", help="CIP 2021 CODE=TITLE.")] = None,
    as_json: Json = False,
) -> None:
    """Show the occupations an achievement prepares for; with --esco/--noc/--cip, replace them."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        if esco or noc or cip:
            partners.set_labour_market_codes(
                session,
                achievement_id,
                esco=esco or [],
                noc=[_pair(n, "--noc") for n in noc or []],
                cip=_pair(cip, "--cip") if cip else None,
            )
        rows = [
            {"scheme": c.scheme, "code": c.code, "label": c.label}
            for c in partners.labour_market_codes(session, achievement_id)
        ]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['scheme']}\t{r['code']}\t{r['label']}")


@achievements_app.command("coverage")
def achievements_coverage(
    achievement_id: Annotated[str, typer.Argument(help="The achievement.")], as_json: Json = False
) -> None:
    """Which of its aligned skills ESCO lists as essential/optional for the occupations it prepares for."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        rows = [c.as_dict() for c in partners.coverage(session, achievement_id)]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no ESCO occupations linked (microcred achievements occupations ID --esco URI)")
    for r in rows:
        typer.echo(f"{r['summary']}; optional: {len(r['optional_covered'])} of {r['optional_total']}")
        for skill in r["essential_covered"]:
            typer.echo(f"  essential ✓ {skill['label']}")


@achievements_app.command("relevance")
def achievements_relevance(
    as_json: Json = False,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Only this organisation's achievements.")] = None,
) -> None:
    """Published achievements by relevance state: lapsed, due (within the reminder window), unreviewed, current."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        rows = [r.as_dict() for r in partners.relevance_report(session, issuer_id=issuer)]
    if as_json:
        _print_json(rows)
        return
    table = Table("state", "achievement", "review due", "basis", "issuable")
    for r in rows:
        table.add_row(r["state"], r["name"], r["review_due"] or "", r["basis"] or "", "yes" if r["issuable"] else "no")
    Console(width=220).print(table)


@achievements_app.command("review")
def achievements_review(
    achievement_id: Annotated[str, typer.Argument(help="The achievement.")],
    note: Annotated[str, typer.Option("--note", help="What was reviewed, with whom.")],
) -> None:
    """Record the issuer's relevance review (restarts the review cycle)."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        row = partners.record_review(session, achievement_id, note=note)
        when = row.reviewed_at.date().isoformat()
    typer.echo(f"relevance review of {achievement_id} recorded on {when}")


@achievements_app.command("remind")
def achievements_remind() -> None:
    """Email issuers whose achievements' relevance review is due (once per achievement and due date)."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        reminded, notes = partners.send_reminders(session, base_url=load_settings().base_url)
        names = [r.name for r in reminded]
    sent = _send(notes)
    typer.echo(f"{len(names)} achievement(s) due, {sent} reminder(s) sent" + "".join(f"\n  {n}" for n in names))


@achievements_app.command("policy")
def achievements_policy(
    organisation: Annotated[str, typer.Argument(help="The issuing organisation's id.")],
    require_endorsement: Annotated[bool | None, typer.Option("--require-endorsement/--no-require-endorsement")] = None,
    review_months: Annotated[int | None, typer.Option("--review-months")] = None,
    reminder_days: Annotated[int | None, typer.Option("--reminder-days")] = None,
) -> None:
    """Show or set the organisation's relevance policy (a current partner endorsement required to issue?)."""
    from microcred.partners import services as partners

    with unit_of_work() as session:
        if require_endorsement is None and review_months is None and reminder_days is None:
            policy = partners.get_policy(session, organisation)
        else:
            policy = partners.set_policy(
                session,
                organisation,
                require_endorsement=require_endorsement,
                review_months=review_months,
                reminder_days=reminder_days,
            )
    _print_json(policy.__dict__)
