"""An assessed award end to end in Chromium (issue 16, point 2), in English and in French, axe-core on every page:
the achievement's assessment design (a refused rubric with its error on the field, then saved) -> publish -> the
results page: an earner chosen, one outcome failing (the award is not offered and the failing outcome is linked),
then every outcome passing -> "Award the credential" -> the awards list, and the award carries the results."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Server
from tests.browser.test_flows import Checker, _context

TEXT = {
    "en": {
        "two_levels": "Give at least two levels",
        "saved": "Assessment saved.",
        "not_ready": "Not ready to award yet",
        "fails": "Outcome 1 does not pass (Developing; passes from Proficient).",
        "ready": "Every outcome passes",
    },
    "fr": {
        "two_levels": "Donnez au moins deux niveaux",
        "saved": "Évaluation enregistrée.",
        "not_ready": "Pas encore prête à être délivrée",
        "fails": "Le résultat d’apprentissage 1 n’est pas atteint (Developing ; atteint à partir de Proficient).",
        "ready": "Tous les résultats d’apprentissage sont atteints",
    },
}


def _seed(server: Server, suffix: str) -> tuple[str, str]:
    """A draft achievement of the server's college (three outcomes) and an earner."""
    from tests.conftest import outcome_dicts

    from microcred.catalog import services as catalog
    from microcred.earners import services as earners

    with server.session() as session:
        achievement = catalog.create_achievement(
            session, issuer_id=server.org_id, name=f"Kitchen Hygiene {suffix}", description="Kitchen hygiene.",
            criteria_narrative="A practical observed in the kitchen.", workload_hours=8, outcomes=outcome_dicts(),
        )  # fmt: skip
        earner = earners.create_earner(session, name=f"Ada {suffix}", email=f"ada-{suffix}@example.org")
        return str(achievement.id), str(earner.id)


def _results_in_credential(server: Server, award_id: str) -> list[dict[str, Any]]:
    from microcred.awards import queries as award_queries

    with server.session() as session:
        document = award_queries.credential_document(award_queries.get_award(session, uuid.UUID(award_id)))
    return list(document["credentialSubject"]["result"])


def _design(page: Any, levels: str) -> None:
    page.select_option("#method", "practical")
    page.check("#r0_scale")
    page.fill("#r0_levels", levels)
    page.fill("#r0_required_level", "Proficient")
    page.check("#r1_scale")
    page.fill("#r1_levels", "Not yet\nSafe | Works without help | 2")
    page.fill("#r1_required_level", "2")
    page.check("#r2_scale-score")
    page.fill("#r2_max", "100")
    page.fill("#r2_required", "70")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")


def test_an_assessed_award_in_the_browser(browser: Any, server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    suffix = secrets.token_hex(3)
    achievement_id, earner_id = _seed(server, suffix)
    page = _context(browser, server, language).new_page()
    page.goto("/sign-in")
    page.fill("#staff-email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")

    page.goto(f"/console/achievements/{achievement_id}")
    page.click(f'a[href="/console/achievements/{achievement_id}/assessment"]')
    page.wait_for_url("**/assessment")
    check(page, "assessment-design")
    _design(page, "Beginning")  # one level only: refused, the message on the field
    assert t["two_levels"] in page.inner_text("#r0_levels-error")
    assert page.get_attribute("#r0_levels", "aria-invalid") == "true"
    check(page, "assessment-design-error")
    _design(page, "Beginning\nDeveloping\nProficient\nExemplary")
    page.wait_for_url("**/assessment?saved=1")
    assert t["saved"] in page.inner_text("main")
    check(page, "assessment-design-saved")

    page.goto(f"/console/achievements/{achievement_id}")
    page.locator(f'form[action="/console/achievements/{achievement_id}/publish"] button').click()
    page.wait_for_url("**published=1")
    page.click(f'a[href="/console/assessments/{achievement_id}/results"]')
    page.wait_for_url("**/results")
    check(page, "assessment-results-empty")
    page.select_option("#earner", earner_id)
    page.locator("form[method=get] button[type=submit]").click()
    page.wait_for_url(f"**/results/{earner_id}")
    page.select_option("#o0_level", label="Developing")
    page.select_option("#o1_level", label="Safe")
    page.fill("#o2_score", "82")
    page.locator(f'form[action="/console/assessments/{achievement_id}/results/{earner_id}"] button').click()
    page.wait_for_url("**saved=results")
    award = page.inner_text("#award")
    assert t["not_ready"] in award and t["fails"] in award
    assert page.locator('#award form[action="/console/award"]').count() == 0
    check(page, "assessment-earner-not-ready")

    page.goto(f"/console/assessments/{achievement_id}/results")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the results page is {width} px wide at a 390 px viewport"
    check(page, "assessment-results-narrow")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"/console/assessments/{achievement_id}/results/{earner_id}")
    page.select_option("#o0_level", label="Proficient")
    page.locator(f'form[action="/console/assessments/{achievement_id}/results/{earner_id}"] button').click()
    page.wait_for_url("**saved=results")
    assert t["ready"] in page.inner_text("#award")
    check(page, "assessment-earner-ready")
    page.locator('#award form[action="/console/award"] button[type=submit]').click()
    page.wait_for_url("**/console/awards?issued=*")
    award_id = page.url.split("issued=")[1]
    check(page, "assessment-awarded")
    results = _results_in_credential(server, award_id)
    assert len(results) == 3 and {r.get("value") for r in results} >= {"82"}
    assert sum(1 for r in results if r.get("achievedLevel", "").startswith("urn:uuid:")) == 2
