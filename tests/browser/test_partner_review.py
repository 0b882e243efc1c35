"""The partner reviewer's screens in Chromium (issue 7), in English and in French, axe-core on every page:
request list -> review form (definition, outcomes, alignments, assessment) -> errors tied to the fields -> the two
answers and "endorse" -> the endorsement is signed with the partner's key."""

from __future__ import annotations

import secrets
from typing import Any

from tests.browser.conftest import Server
from tests.browser.test_flows import Checker, _context

from microcred.demo import ATTEND_TO_DETAIL, COMPLY_FOOD_SAFETY, FOOD_SAFETY_STANDARDS, alignment

PASSWORD = "partner reviewer password 1"
TEXT = {
    "en": {
        "list": "Endorsement requests",
        "review": "Review",
        "required": "This field is required.",
        "yes_no": "Answer yes or no.",
        "signed": "The endorsement was signed with your organisation's key.",
    },
    "fr": {
        "list": "Demandes d’appui",
        "review": "Examiner",
        "required": "Ce champ est obligatoire.",
        "yes_no": "Répondez oui ou non.",
        "signed": "L’appui a été signé avec la clé de votre organisation.",
    },
}


def _seed(server: Server, suffix: str) -> tuple[str, str]:
    """A partner with a reviewer (password), a published achievement of the server's college, a pending request."""
    from microcred.accounts import services as accounts
    from microcred.catalog import services as catalog
    from microcred.partners import services as partners

    with server.session() as session:
        partner, _ = partners.create_partner(
            session, partner_type="employer", name=f"Harbour Hotels {suffix}", country="CA"
        )
        email = f"reviewer-{suffix}@harbour.example"
        accounts.create_user(
            session, email=email, name="Jordan Partner", role="partner_reviewer", organisation_id=partner.id,
            password=PASSWORD,
        )  # fmt: skip
        achievement = catalog.create_achievement(
            session,
            issuer_id=server.org_id,
            name=f"Hotel Kitchen Safety {suffix}",
            description="Food safety for hotel kitchens.",
            criteria_narrative="Pass a supervised practical.",
            workload_hours=12,
            outcomes=[
                {"statement": "Explain food safety standards.", "kind": "knowledge",
                 "alignments": [alignment(FOOD_SAFETY_STANDARDS)]},
                {"statement": "Handle food hygienically.", "kind": "skill",
                 "alignments": [alignment(COMPLY_FOOD_SAFETY)]},
                {"statement": "Attend to detail.", "kind": "attitude", "alignments": [alignment(ATTEND_TO_DETAIL)]},
            ],
            publish=True,
        )  # fmt: skip
        partners.request_endorsement(
            session, achievement_id=achievement.id, partner_id=partner.id, base_url=server.base_url
        )
        return email, achievement.name


def test_partner_reviewer_screens(browser: Any, server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    email, achievement = _seed(server, secrets.token_hex(3))
    context = _context(browser, server, language)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#staff-email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    page.goto("/console/endorsements")
    assert t["list"] in page.inner_text("main")
    check(page, "partner-requests")
    page.get_by_role("link", name=f"{t['review']} {achievement}").click()
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert achievement in main and "comply with food safety and hygiene" in main
    check(page, "partner-review")

    # nothing answered: each error is tied to its field
    page.locator("form[action$='/answer'] button[type=submit]").click()
    page.wait_for_load_state("load")
    assert t["yes_no"] in page.inner_text("#in_demand-error")
    assert t["required"] in page.inner_text("#rationale-error")
    assert page.get_attribute("#rationale", "aria-invalid") == "true"
    check(page, "partner-review-errors")

    page.check("#in_demand-yes")
    page.fill("#rationale", "Hotels in the region post 80 kitchen openings a month.")
    page.check("#reflects-yes")
    page.fill("#comment", "The practical mirrors a real shift.")
    page.fill("#endorsement_comment", "Harbour Hotels endorses this micro-credential.")
    page.check("#decision-endorse")
    page.locator("form[action$='/answer'] button[type=submit]").click()
    page.wait_for_url("**answered=1")
    assert t["signed"] in page.inner_text("main")
    check(page, "partner-review-done")
    context.close()
