"""The main flows in Chromium, in English and in French, with axe-core on every page and a screenshot of each.

staff signs in (keyboard only) -> creates and publishes an achievement -> awards it -> the earner signs in with
the email link -> sees and downloads it -> anyone opens its public page -> "verified"; a tampered copy pasted or
uploaded on /verify -> "not verified"; an unknown id -> not found.
"""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path
from typing import Any

from tests.browser.conftest import ARTIFACTS, STAFF_EMAIL, STAFF_PASSWORD, Server, axe_version, run_axe

from microcred.demo import COMPLY_FOOD_SAFETY, alignment
from microcred.vc.baking import unbake
from support.esco_subset import import_esco_subset_into

TEXT = {
    "en": {
        "verified": "Verified",
        "not_verified": "Not verified",
        "backpack": "My credentials",
        "console": "Console",
        "not_found": "Not found",
        "saved": "Saved.",
        "published": "Published: this achievement can now be awarded.",
        "issued": "The credential was signed and issued.",
        "sign_in": "Sign in",
        "check_email": "Check your email",
        "continue": "Continue",
        "foreign": "only addresses of credentials issued on this site",
        "required": "This field is required.",
    },
    "fr": {
        "verified": "Vérifiée",
        "not_verified": "Non vérifiée",
        "backpack": "Mes attestations",
        "console": "Console",
        "not_found": "Introuvable",
        "saved": "Enregistré.",
        "published": "Publiée : cette réalisation peut maintenant être décernée.",
        "issued": "L’attestation a été signée et délivrée.",
        "sign_in": "Se connecter",
        "check_email": "Consultez vos courriels",
        "continue": "Continuer",
        "foreign": "seules les adresses d’attestations délivrées sur ce site",
        "required": "Ce champ est obligatoire.",
    },
}
CHECKED: list[str] = []


class Checker:
    """Runs axe on a page and keeps a screenshot of it."""

    def __init__(self, server: Server, language: str) -> None:
        self.server = server
        self.language = language
        ARTIFACTS.mkdir(exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == self.language, page.url
        violations = run_axe(page)
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in violations
        ]
        assert summary == [], f"axe on {name} [{self.language}] {page.url}: {summary}"
        page.screenshot(path=str(ARTIFACTS / f"{self.server.backend}-{self.language}-{name}.png"), full_page=True)
        CHECKED.append(f"{self.language}:{name}")


def _context(browser: Any, server: Server, language: str) -> Any:
    locale = "fr-CA" if language == "fr" else "en-CA"
    return browser.new_context(base_url=server.base_url, locale=locale, accept_downloads=True)


def _expect_text(page: Any, text: str) -> None:
    assert text in page.inner_text("main"), f"{text!r} not on {page.url}: {page.inner_text('main')[:500]}"


def test_issue_and_verify_in_the_browser(browser: Any, server: Server, language: str, tmp_path: Path) -> None:
    t = TEXT[language]
    check = Checker(server, language)
    suffix = secrets.token_hex(3)
    achievement_name = f"Kitchen Hygiene {suffix}"
    earner_email = f"earner-{language}-{suffix}@example.org"

    # -- staff, keyboard only: skip link, then the password form ---------------------------------------------
    staff = _context(browser, server, language)
    page = staff.new_page()
    page.goto("/sign-in")
    check(page, "sign-in")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "skip-link"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "no visible focus on the skip link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.focus("#staff-email")
    page.keyboard.type(STAFF_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    _expect_text(page, "Riley Registrar")
    check(page, "console")

    # -- create an achievement: first with errors tied to the fields, then complete -----------------------
    page.goto("/console/achievements/new")
    check(page, "achievement-new")
    page.click("button.button[type=submit]:not([name])")
    error = page.locator("#name-error")
    assert t["required"] in error.inner_text()
    assert "name-error" in (page.get_attribute("#name", "aria-describedby") or "")
    check(page, "achievement-errors")
    concept = alignment(COMPLY_FOOD_SAFETY)
    page.fill("#name", achievement_name)
    page.fill("#description", "Hygiene in a commercial kitchen.")
    other = "fr" if language == "en" else "en"
    page.fill(f"#name_{other}", f"Hygiène en cuisine {suffix}" if other == "fr" else f"Kitchen hygiene {suffix}")
    page.fill("#criteria_narrative", "Observed practical assessment and a written test.")
    page.fill("#workload_hours", "15")
    page.fill("#level", "Introductory")
    page.fill("#outcome_0_statement", "Handle food in compliance with hygiene rules.")
    page.select_option("#outcome_0_kind", "skill")
    import_esco_subset_into(server.db_url)  # the picker lists the concepts of an imported framework
    page.focus("#outcome_0_query")  # the ESCO picker's combobox: type, then the first option, Enter adds it
    page.keyboard.type(concept["target_name"])
    page.wait_for_selector("#outcome_0_listbox [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#outcome_0_picked input[value='{concept['target_url']}']", state="attached")
    page.focus("#level")
    page.keyboard.press("Enter")  # submits the form from the keyboard
    page.wait_for_url("**/console/achievements/*?saved=1")
    _expect_text(page, t["saved"])
    check(page, "achievement-draft")
    png = tmp_path / "badge.png"
    png.write_bytes(_tiny_png())
    page.set_input_files("#image", str(png))
    page.click("form[action$='/image'] button")
    page.wait_for_url("**saved=1")
    page.click("form[action$='/publish'] button")
    page.wait_for_url("**published=1")
    _expect_text(page, t["published"])
    check(page, "achievement-published")
    page.goto("/console/achievements")
    check(page, "achievements")

    # -- an earner, and the award -------------------------------------------------------------------------
    page.goto("/console/earners")
    page.fill("#name", f"Noor {suffix}")
    page.fill("#email", earner_email)
    page.click("form[action='/console/earners'] button")
    page.wait_for_url("**created=1")
    check(page, "earners")
    page.goto("/console/award")
    check(page, "award")
    page.select_option("#achievement_id", label=achievement_name)
    page.select_option("#earner_id", label=f"Noor {suffix} <{earner_email}>")
    page.fill("#evidence_name", "Practical kitchen assessment")
    page.click("form[action='/console/award'] button")
    page.wait_for_url("**/console/awards?issued=*")
    _expect_text(page, t["issued"])
    credential_url = page.get_attribute("a:has-text('')[href*='/credentials/']", "href")
    check(page, "awards")
    page.fill("#q", f"Noor {suffix}")
    with page.expect_navigation():  # the count is read from the results page, not the one it replaces
        page.click("form[role=search] button")
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() == 1
    for path, name in (("/console/organisations", "organisations"), ("/console/people", "people")):
        page.goto(path)
        check(page, name)
    staff.close()

    # -- the earner: email link through SMTP, backpack, download -----------------------------------------
    earner = _context(browser, server, language)
    page = earner.new_page()
    page.goto("/sign-in")
    page.fill("#email", earner_email)
    page.click("form[action='/sign-in/link'] button")
    _expect_text(page, t["check_email"])
    check(page, "link-sent")
    link = server.mailbox.link(earner_email)
    page.goto(link)
    check(page, "sign-in-confirm")
    page.click(f"button:has-text('{t['continue']}')")
    page.wait_for_url("**/backpack")
    _expect_text(page, achievement_name)
    _expect_text(page, t["verified"])
    check(page, "backpack")
    with page.expect_download() as download_info:
        page.click("a[download$='.json']")
    downloaded = json.loads(Path(download_info.value.path()).read_text())
    assert downloaded["credentialSubject"]["achievement"]["name"] == achievement_name
    with page.expect_download() as jwt_info:
        page.click("a[download$='.jwt']")
    assert Path(jwt_info.value.path()).read_text().startswith("eyJ")
    share = page.input_value("input.share-link")
    assert credential_url and share.endswith(credential_url.rsplit("/", 1)[-1])

    # -- the earner's other downloads (baked badges carry the credential; the PDF certificate) and sharing ----
    for fmt in ("png", "svg"):
        with page.expect_download() as baked_info:
            page.click(f"a[href$='/download/{fmt}']")
        carried = json.loads(unbake(Path(baked_info.value.path()).read_bytes()))
        assert carried["id"] == downloaded["id"] and carried["proof"] == downloaded["proof"]
    with page.expect_download() as pdf_info:
        page.click("a[href$='/download/pdf']")
    assert Path(pdf_info.value.path()).read_bytes().startswith(b"%PDF")
    page.click("a[href$='/share']")
    page.wait_for_url("**/share")
    check(page, "share")
    assert page.locator("form[action$='/share/linkedin'] button[type=submit]").count() == 1  # a form: counted
    assert share in page.input_value("#embed")
    page.check("#public-no")
    page.click("form[action$='/share'] button[type=submit]")
    page.wait_for_load_state("load")
    anonymous = _context(browser, server, language)
    assert anonymous.request.get(share + "?format=json").status == 403  # private: only the earner may fetch it
    anonymous.close()
    page.goto(page.url.split("?")[0])
    page.check("#public-yes")
    assert not page.is_checked("#show-name")  # "show my name" is off by default (issue 12)
    page.check("#show-name")
    page.click("form[action$='/share'] button[type=submit]")
    page.wait_for_load_state("load")
    earner.close()

    # -- anyone: the public page, /verify by paste, upload and URL, tampered, unknown -------------------------
    public = _context(browser, server, language)
    page = public.new_page()
    page.goto(share)
    assert t["verified"] in page.inner_text("#verdict")
    assert f"Noor {suffix}" in page.inner_text("main")  # the earner chose to show their name
    check(page, "credential")
    page.goto("/")
    assert achievement_name in page.inner_text("main") and f"Noor {suffix}" not in page.content()  # no awards
    check(page, "home")
    page.goto("/verify")
    check(page, "verify")
    page.fill("#url", share)
    page.click("form button[type=submit]")
    assert t["verified"] in page.inner_text("#verdict")
    page.goto("/verify")
    page.fill("#url", "https://elsewhere.example/credentials/1")
    page.click("form button[type=submit]")
    _expect_text(page, t["foreign"])
    assert "verify-error" in (page.get_attribute("#url", "aria-describedby") or "")
    check(page, "verify-error")
    tampered = dict(downloaded)
    tampered["credentialSubject"] = {**downloaded["credentialSubject"], "id": "did:example:someone-else"}
    page.goto("/verify")
    page.fill("#credential", json.dumps(tampered))
    page.click("form button[type=submit]")
    assert t["not_verified"] in page.inner_text("#verdict")
    check(page, "verify-tampered")
    page.goto("/verify")
    page.set_input_files(
        "#file",
        files=[{"name": "tampered.json", "mimeType": "application/json", "buffer": json.dumps(tampered).encode()}],
    )
    page.click("form button[type=submit]")
    assert t["not_verified"] in page.inner_text("#verdict")
    page.goto("/verify")
    page.set_input_files(
        "#file",
        files=[{"name": "good.json", "mimeType": "application/json", "buffer": json.dumps(downloaded).encode()}],
    )
    page.click("form button[type=submit]")
    assert t["verified"] in page.inner_text("#verdict") and t["not_verified"] not in page.inner_text("#verdict")
    check(page, "verify-upload")
    response = page.goto(f"/credentials/{uuid.uuid4()}")
    assert response is not None and response.status == 404
    _expect_text(page, t["not_found"])
    check(page, "credential-unknown")
    if language == "en" and server.backend == "sqlite":
        (ARTIFACTS / "axe.txt").write_text(f"axe-core {axe_version(page)}\n")
    public.close()


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x14\x36\x5d" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
