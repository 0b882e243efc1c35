"""The console's analytics in Chromium (issue 16, point 5), in English and in French, axe-core on every page: a
scripted set of events through the real server (the public page opened directly, through the embedded snippet and
from another page, the signed JSON fetched, a verification on /verify, a status list fetch; the earner, on the share
page, clicks "Copy the address" — the clipboard holds it, "Copied" is announced — and the LinkedIn button, which
goes to LinkedIn), then the staff member's analytics page for that achievement shows those counts in its tables,
the chart says the same, the CSV link carries the filters, an unknown achievement is refused with the error tied to
its field; no wider than a phone."""

from __future__ import annotations

import secrets
from typing import Any

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Server
from tests.browser.test_flows import Checker, _context

TEXT = {
    "en": {
        "all_views": "All views",
        "direct": "through a shared link opened directly (pasted, from a mail, an app or a QR code)",
        "embed": "through the embedded snippet",
        "web": "from other web pages",
        "page": "on the verification page",
        "json": "JSON-LD",
        "issued": "Issued (all)",
        "show": "Show",
        "week": "Week",
        "chart": "Public page views per week, the last 12",
        "problem": "Choose one of your organisation",
        "copy_address": "Copy the address",
        "copied": "Copied",
        "all_shares": "All shares",
        "link_copied": "public address copied",
        "linkedin_added": "added to LinkedIn",
    },
    "fr": {
        "all_views": "Toutes les consultations",
        "direct": "par un lien partagé ouvert directement (collé, depuis un courriel, une application ou un code QR)",
        "embed": "par l’extrait intégré",
        "web": "depuis d’autres pages web",
        "page": "sur la page de vérification",
        "json": "JSON-LD",
        "issued": "Délivrés (tous)",
        "show": "Afficher",
        "week": "Semaine",
        "chart": "Consultations de la page publique par semaine, sur 12 périodes",
        "problem": "Choisissez l’une des réalisations",
        "copy_address": "Copier l’adresse",
        "copied": "Copié",
        "all_shares": "Tous les partages",
        "link_copied": "adresse publique copiée",
        "linkedin_added": "ajoutés à LinkedIn",
    },
}


def _seed(server: Server, suffix: str) -> dict[str, str]:
    """A published achievement of the server's college and one award of it (issued through the pipeline)."""
    from tests.conftest import outcome_dicts

    from microcred import issuing, urls
    from microcred.catalog import services as catalog
    from microcred.earners import services as earners
    from microcred.issuers import keystore

    with server.session() as session:
        achievement = catalog.create_achievement(
            session, issuer_id=server.org_id, name=f"Analytics Hygiene {suffix}", description="Hygiene.",
            criteria_narrative="A supervised practical.", workload_hours=6, outcomes=outcome_dicts(),
            publish=True,
        )  # fmt: skip
        earner = earners.create_earner(session, name="Ada Lovelace", email=f"ada-{suffix}@example.org")
        award = issuing.issue_award(
            session, achievement_id=achievement.id, earner_id=earner.id, base_url=server.base_url,
            master_key=keystore.load_master_key(server.settings),
        )  # fmt: skip
        return {
            "achievement": str(achievement.id),
            "name": achievement.name,
            "award": str(award.id),
            "email": earner.email,
            "url": urls.credential_url(award.id, server.base_url),
        }


def _row(page: Any, label: str) -> str:
    """The count next to the row header ``label`` in the totals tables."""
    cell = page.locator("main table tr", has=page.locator(f"th[scope=row]:text-is({label!r})")).locator("td")
    return str(cell.first.inner_text()).strip()


def this_week_shares(page: Any) -> str:
    return str(page.locator("#over-time tbody tr").last.locator("td[data-metric=shares]").inner_text())


def _script(browser: Any, server: Server, language: str, seeded: dict[str, str]) -> None:
    """Three page views (direct, embedded snippet, another page), the JSON fetched, one verification on /verify,
    one status list fetch: the visitor's own browser, nothing else."""
    visitor = _context(browser, server, language)
    page = visitor.new_page()
    page.goto(seeded["url"])
    page.goto(seeded["url"] + "?via=embed")
    page.goto(seeded["url"], referer="https://blog.example/post")
    document = visitor.request.get(seeded["url"] + "?format=json").json()
    assert visitor.request.get(document["credentialStatus"]["statusListCredential"]).ok
    page.goto("/verify")
    page.fill("#url", seeded["url"])
    page.locator("form", has=page.locator("#url")).locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    visitor.close()


def _share(browser: Any, server: Server, language: str, seeded: dict[str, str], check: Checker) -> None:
    """The earner (signed in through a one-time link: one claim) copies the public address with the share page's
    button and adds the credential to LinkedIn with its form (LinkedIn's page is stubbed: no internet here)."""
    from microcred.accounts import services as accounts

    t = TEXT[language]
    with server.session() as session:
        user = accounts.user_for_sign_in(session, seeded["email"])
        assert user is not None
        token = accounts.issue_sign_in_token(session, user)
    earner = _context(browser, server, language)
    earner.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    linkedin: list[str] = []

    def stub(route: Any) -> None:
        linkedin.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>LinkedIn</title>")

    earner.route("https://www.linkedin.com/**", stub)
    page = earner.new_page()
    page.goto(f"/sign-in/link/{token}")
    page.click(f"form[action='/sign-in/link/{token}'] button[type=submit]")
    page.wait_for_url("**/backpack")
    page.goto(f"/backpack/credentials/{seeded['award']}/share")
    page.bring_to_front()
    with page.expect_response(lambda r: r.url.endswith("/shared") and r.request.method == "POST") as answer:
        page.get_by_role("button", name=t["copy_address"]).click()
    assert answer.value.status == 204
    page.locator("[data-copy-from=share-url] [role=status]", has_text=t["copied"]).wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == seeded["url"]
    check(page, "share-copied")
    page.locator("form[action$='/share/linkedin'] button[type=submit]").click()
    page.wait_for_url("https://www.linkedin.com/**")
    assert linkedin and "certUrl=" in linkedin[0] and "startTask=CERTIFICATION_NAME" in linkedin[0]
    earner.close()


def test_console_analytics_in_the_browser(browser: Any, server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    seeded = _seed(server, secrets.token_hex(3))
    _script(browser, server, language, seeded)
    _share(browser, server, language, seeded, check)

    context = _context(browser, server, language)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#staff-email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    page.locator("nav.subnav a[href='/console/analytics']").click()
    page.wait_for_url("**/console/analytics")
    assert page.get_attribute("nav.subnav a[href='/console/analytics']", "aria-current") == "page"
    check(page, "analytics")

    page.select_option("#analytics-achievement", seeded["achievement"])
    page.select_option("#analytics-period", "week")
    page.get_by_role("button", name=t["show"]).click()
    page.wait_for_url("**/console/analytics?*")
    assert _row(page, t["issued"]) == "1"
    assert _row(page, t["all_views"]) == "3"
    assert _row(page, t["direct"]) == "1" and _row(page, t["embed"]) == "1" and _row(page, t["web"]) == "1"
    assert _row(page, t["page"]) == "1" and _row(page, t["json"]) == "1"
    assert _row(page, t["all_shares"]) == "2"
    assert _row(page, t["link_copied"]) == "1" and _row(page, t["linkedin_added"]) == "1"
    assert this_week_shares(page) == "2"
    chart = page.locator("svg[role=img]")
    assert chart.locator("title").text_content() == t["chart"]
    assert page.locator("#over-time tbody tr").count() == 12
    this_week = page.locator("#over-time tbody tr").last
    assert this_week.locator("td[data-metric=views]").inner_text() == "3"
    assert chart.locator("rect").count() == 12
    assert chart.locator("text", has_text="3").count() >= 1  # the bar of this week says 3, as the table
    csv_link = page.locator("a[href^='/console/analytics.csv']")
    assert f"achievement={seeded['achievement']}" in (csv_link.get_attribute("href") or "")
    check(page, "analytics-achievement")
    exported = context.request.get(str(csv_link.get_attribute("href")))
    total = exported.text().splitlines()[-1].split(",")
    assert exported.ok and total[3:6] == ["1", "1", "3"]  # issued, claimed (the earner signed in), views
    assert total[8:10] == ["2", "2"]  # shares (address copied, LinkedIn), visits through shares (direct, embed)

    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the analytics page is {width} px wide at a 390 px viewport"
    check(page, "analytics-narrow")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto("/console/analytics?achievement=00000000-0000-4000-8000-000000000000")
    assert t["problem"] in page.inner_text("#analytics-achievement-error")
    assert page.get_attribute("#analytics-achievement", "aria-invalid") == "true"
    check(page, "analytics-error")
    context.close()
