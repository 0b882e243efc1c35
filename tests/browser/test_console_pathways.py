"""The console's pathways in Chromium (issue 16, point 4), in English and in French, axe-core on every page: the
builder (an empty submission's errors tied to their fields, then a pathway of two achievements whose credential
waits for approval), the earner then holding both components (awarded elsewhere), the approval queue, the
confirmation step, the issued award linked; an achievement's transcript record page, no wider than a phone."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Server
from tests.browser.test_flows import Checker, _context

TEXT = {
    "en": {
        "new": "New pathway",
        "save": "Save the pathway",
        "required": "This field is required.",
        "saved": "The pathway was saved.",
        "waits": "1 pathway completion waits for approval",
        "approve": "Approve…",
        "confirm": "Approve and issue",
        "approved": "Approved: the pathway's credential was issued.",
        "open": "Open the award",
        "record": "Transcript record and prerequisites",
        "record_saved": "Saved. Credentials issued from now on carry this record.",
        "save_record": "Save the transcript record",
    },
    "fr": {
        "new": "Nouveau parcours",
        "save": "Enregistrer le parcours",
        "required": "Ce champ est obligatoire.",
        "saved": "Le parcours a été enregistré.",
        "waits": "1 parcours achevé attend une approbation",
        "approve": "Approuver…",
        "confirm": "Approuver et délivrer",
        "approved": "Approuvé : l’attestation du parcours a été délivrée.",
        "open": "Ouvrir l’attestation",
        "record": "Relevé et préalables",
        "record_saved": "Enregistré. Les attestations délivrées désormais portent ce relevé.",
        "save_record": "Enregistrer le relevé",
    },
}


def _seed(server: Server, suffix: str) -> dict[str, Any]:
    """Two published component achievements, the certificate they lead to, and an earner."""
    from tests.conftest import outcome_dicts

    from microcred.catalog import services as catalog
    from microcred.earners import services as earners

    ids: dict[str, Any] = {}
    with server.session() as session:
        for key, name, credits in (("basics", "Kitchen Basics", 1.0), ("pastry", "Pastry", 1.0),
                                   ("certificate", "Culinary Certificate", None)):  # fmt: skip
            achievement = catalog.create_achievement(
                session, issuer_id=server.org_id, name=f"{name} {suffix}", description="Cooking.",
                criteria_narrative="A supervised practical.", workload_hours=6, credits=credits,
                outcomes=outcome_dicts(), publish=True,
            )  # fmt: skip
            ids[key] = achievement.id
        ids["earner"] = earners.create_earner(session, name=f"Ada {suffix}", email=f"ada-{suffix}@example.org").id
    return ids


def _award_elsewhere(server: Server, achievement_id: uuid.UUID, earner_id: uuid.UUID) -> None:
    from microcred import issuing
    from microcred.issuers import keystore

    with server.session() as session:
        issuing.issue_award(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            base_url=server.base_url,
            master_key=keystore.load_master_key(server.settings),
        )


def test_a_pathway_built_and_completed_in_the_browser(browser: Any, server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    suffix = secrets.token_hex(3)
    ids = _seed(server, suffix)
    context = _context(browser, server, language)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#staff-email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    page.goto("/console/pathways")
    check(page, "pathways")

    page.get_by_role("link", name=t["new"]).first.click()
    page.wait_for_url("**/console/pathways/new")
    check(page, "pathway-new")
    page.get_by_role("button", name=t["save"]).click()  # nothing chosen: the errors are tied to their fields
    page.wait_for_load_state("load")
    assert t["required"] in page.inner_text("#achievement_id-error")
    assert page.get_attribute("#achievement_id", "aria-invalid") == "true"
    check(page, "pathway-new-error")

    page.select_option("#achievement_id", str(ids["certificate"]))
    page.check(f"#component_{ids['basics']}")
    page.fill(f"#position_{ids['basics']}", "1")
    page.check(f"#component_{ids['pastry']}")
    page.fill(f"#position_{ids['pastry']}", "2")
    page.fill("#min_credits", "2")
    page.check("#issue_mode-approval")
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url("**/console/pathways?saved=created")
    assert t["saved"] in page.inner_text("main") and f"Culinary Certificate {suffix}" in page.inner_text("main")
    check(page, "pathways-saved")

    _award_elsewhere(server, ids["basics"], ids["earner"])
    _award_elsewhere(server, ids["pastry"], ids["earner"])
    page.reload()
    assert t["waits"] in page.inner_text("main")
    page.goto("/console/pathways/approvals")
    assert f"Ada {suffix}" in page.inner_text("main")
    check(page, "pathway-queue")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the approval queue is {width} px wide at a 390 px viewport"
    page.set_viewport_size({"width": 1280, "height": 800})

    row = page.locator("tr", has_text=f"Ada {suffix}")
    button = row.locator("button[type=submit]")
    assert button.inner_text() == t["approve"] and f"Ada {suffix}" in (button.get_attribute("aria-label") or "")
    button.click()
    page.wait_for_load_state("load")
    check(page, "pathway-confirm")
    page.get_by_role("button", name=t["confirm"]).click()
    page.wait_for_url("**/console/pathways/approvals?award=*")
    assert t["approved"] in page.inner_text("main")
    check(page, "pathway-approved")
    page.get_by_role("link", name=t["open"], exact=True).click()
    page.wait_for_url("**/console/awards/*")
    assert f"Culinary Certificate {suffix}" in page.inner_text("main")

    page.goto(f"/console/achievements/{ids['certificate']}")
    page.get_by_role("link", name=t["record"]).click()
    page.wait_for_url("**/transcript")
    check(page, "transcript-record")
    page.select_option("#eqf_level", "4")
    page.check(f"#requires_{ids['basics']}")
    page.get_by_role("button", name=t["save_record"]).click()
    page.wait_for_url("**/transcript?saved=1")
    assert t["record_saved"] in page.inner_text("main")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the transcript record page is {width} px wide at a 390 px viewport"
    check(page, "transcript-record-saved-narrow")
    context.close()
