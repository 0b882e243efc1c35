"""The console's bulk issuance in Chromium (issue 15), in English and in French, axe-core on every page: the upload
form (and its error) -> the dry-run page (every row's verdict and reason; no wider than a 390 px phone) -> "Issue N
awards" -> its progress while queued, refreshed by the page's script (which can be stopped) when the batch is
cancelled elsewhere -> "Cancel the batch" on the stale page: a 409 that says why. No job worker runs beside the
browser tests, so the batch stays queued; issuing it to the end is tests/web/test_console_bulk.py's.)"""

from __future__ import annotations

import secrets
from typing import Any

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Server
from tests.browser.test_flows import Checker, _context

TEXT = {
    "en": {
        "choose": "Choose the CSV file to upload.",
        "state_ok": "Checked, waiting for you to start it",
        "issue": "Issue 2 awards",
        "refused": "Cannot be issued",
        "started": "its awards are being issued",
        "not_issued": "2 rows not issued",
        "cancel": "Cancel the batch",
        "pause": "Stop updating the progress",
        "resume": "Update the progress again",
        "state_over": "State: Cancelled",
        "already": "is already cancelled",
        "finished": "State: Finished",
        "final": "Show the final state of every row",
        "row_issued": "Award issued",
    },
    "fr": {
        "choose": "Choisissez le fichier CSV à téléverser.",
        "state_ok": "Vérifié, en attente de votre lancement",
        "issue": "Délivrer 2 attestations",
        "refused": "Ne peut pas être délivrée",
        "started": "ses attestations sont en cours de délivrance",
        "not_issued": "2 lignes non délivrées",
        "cancel": "Annuler le lot",
        "pause": "Arrêter la mise à jour de l’avancement",
        "resume": "Reprendre la mise à jour de l’avancement",
        "state_over": "État : Annulé",
        "finished": "État : Terminé",
        "final": "Afficher l’état final de chaque ligne",
        "row_issued": "Attestation délivrée",
        "already": "is already cancelled",
    },
}


def _seed(server: Server, code: str) -> None:
    """A published achievement of the server's college, with a course code the file names."""
    from tests.conftest import outcome_dicts

    from microcred.catalog import services as catalog
    from microcred.transcripts import records

    with server.session() as session:
        achievement = catalog.create_achievement(
            session, issuer_id=server.org_id, name=f"Knife Safety {code}", description="Knife safety.",
            criteria_narrative="A supervised practical.", workload_hours=6, outcomes=outcome_dicts(),
            publish=True,
        )  # fmt: skip
        records.set_achievement_record(session, achievement.id, {"human_code": code})


def _cancel_elsewhere(server: Server, batch_id: str) -> None:
    """The batch cancelled by someone else (another tab, the API) while the page is open."""
    from microcred.batches import services as batches

    with server.session() as session:
        batches.cancel(session, batch_id)


def _cohort(code: str, suffix: str) -> bytes:
    lines = [
        "Earner Name;email;achievement_code;evidence_narrative",
        f'Ada Lovelace;ada-{suffix}@example.org;{code};"Observed twice;\nboth times safe"',
        f"Bo Jensen;bo-{suffix} at example.org;{code};",
        f"Cy Moreau;cy-{suffix}@example.org;NOPE-{suffix};",
        f"Di Okafor;di-{suffix}@example.org;{code};",
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_bulk_award_in_the_browser(browser: Any, server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    suffix = secrets.token_hex(3)
    code = f"KNIFE-{suffix}"
    _seed(server, code)
    context = _context(browser, server, language)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#staff-email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    page.goto("/console/awards/bulk")
    check(page, "bulk-upload")

    page.locator("form[enctype] button[type=submit]").click()  # no file chosen: the error is tied to the field
    page.wait_for_load_state("load")
    assert t["choose"] in page.inner_text("#file-error")
    assert page.get_attribute("#file", "aria-invalid") == "true"
    check(page, "bulk-upload-error")

    page.set_input_files("#file", {"name": "cohort.csv", "mimeType": "text/csv", "buffer": _cohort(code, suffix)})
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url("**/console/awards/bulk/*")
    main = page.inner_text("main")
    assert t["state_ok"] in main and t["issue"] in main and t["refused"] in main
    assert f"email is not an email address: 'bo-{suffix} at example.org'" in main
    assert f"unknown achievement code 'NOPE-{suffix}'" in main
    check(page, "bulk-dry-run")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the batch page is {width} px wide at a 390 px viewport"
    check(page, "bulk-dry-run-narrow")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name=t["issue"]).click()
    page.wait_for_url("**done=started")
    assert t["started"] in page.inner_text("main")
    check(page, "bulk-queued")  # no worker runs beside the browser tests (their server has no lifespan)
    toggle = page.locator("#progress-updates")  # the script's poll of the status region, which can be stopped
    assert toggle.inner_text() == t["pause"]
    toggle.click()
    assert toggle.inner_text() == t["resume"]
    toggle.click()
    assert toggle.inner_text() == t["pause"]
    _cancel_elsewhere(server, page.url.split("?")[0].rsplit("/", 1)[1])
    page.wait_for_function(f"() => document.getElementById('progress').innerText.includes({t['state_over']!r})")
    assert t["not_issued"] in page.inner_text("#progress") and page.locator("#progress-updates").count() == 0
    check(page, "bulk-progress-updated")
    page.get_by_role("button", name=t["cancel"]).click()  # this page was drawn before: the batch is over already
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert t["already"] in main and t["cancel"] not in main and t["issue"] not in main
    check(page, "bulk-cancelled")

    # -- the same file again, started, and issued by a worker elsewhere while the page watches ------------------
    page.goto("/console/awards/bulk")
    page.set_input_files("#file", {"name": "cohort.csv", "mimeType": "text/csv", "buffer": _cohort(code, suffix)})
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url("**/console/awards/bulk/*")
    page.get_by_role("button", name=t["issue"]).click()
    page.wait_for_url("**done=started")
    batch_id = page.url.split("?")[0].rsplit("/", 1)[1]
    _run_elsewhere(server, batch_id)
    page.wait_for_function(f"() => document.getElementById('progress').innerText.includes({t['finished']!r})")
    check(page, "bulk-finished-live")
    page.get_by_role("link", name=t["final"]).click()
    page.wait_for_load_state("load")
    rows = page.locator("table tbody tr")
    issued = [rows.nth(i) for i in range(rows.count()) if t["row_issued"] in rows.nth(i).inner_text()]
    assert len(issued) == 2, page.inner_text("main")
    for row in issued:  # each issued row links to its award's public page
        href = row.locator("a[href*='/credentials/']").first.get_attribute("href")
        assert href and "/credentials/" in href
    assert t["cancel"] not in page.inner_text("main") and t["issue"] not in page.inner_text("main")
    results = page.locator("a[href$='/results.csv']")
    assert results.count() == 1
    check(page, "bulk-finished")
    context.close()


def _run_elsewhere(server: Server, batch_id: str) -> None:
    """The batch's job run by a worker elsewhere (the browser tests' server has no lifespan, hence no worker)."""
    from microcred.batches import run

    with server.factory() as factory:
        assert run.run_batch(factory, server.settings, batch_id) == "finished"
