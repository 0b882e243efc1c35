"""The achievement form's ESCO picker in Chromium (issue 16, point 1), keyboard only, in English and in French,
axe-core on every state: the combobox searches as you type and adds concepts (two for one outcome, with their
broader groups), the "Suggest from the text" step lists concepts for a second outcome and one is ticked and added,
a kind changed afterwards brings the API's warning, confirmed with the checkbox, and the draft is saved with ESCO's
labels; the form with results fits a 390 px phone."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Server
from tests.browser.test_flows import Checker, _context

from microcred.catalog import services as catalog
from support.esco_subset import import_esco_subset_into

TEXT = {
    "en": {
        "warning": "Check these alignments before saving",
        "saved": "Saved.",
        "added": "Added:",
        "type": "skill · ESCO: skill/competence",
    },
    "fr": {
        "warning": "Vérifiez ces alignements avant d’enregistrer",
        "saved": "Enregistré.",
        "added": "Ajouté :",
        "type": "compétence · ESCO : aptitude/compétence",
    },
}


@pytest.fixture(scope="module")
def esco_server(server: Server) -> Server:
    import_esco_subset_into(server.db_url)
    return server


def _type_into(page: Any, selector: str, value: str) -> None:
    page.focus(selector)
    page.keyboard.type(value)


def _stored(server: Server, achievement_id: str) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    with server.session() as session:
        achievement = catalog.get_achievement(session, achievement_id)
        return [
            (o.kind, [(a.target_url, a.target_name, a.kind_warning is not None) for a in o.alignments])
            for o in achievement.outcomes
        ]


def _sign_in(page: Any) -> None:
    page.goto("/sign-in")
    _type_into(page, "#staff-email", STAFF_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")


def _pick_with_combobox(page: Any, query: str) -> tuple[str, str]:
    """Type into outcome 1's combobox, go to the first option with the down arrow and add it with Enter; its URI
    and label."""
    _type_into(page, "#outcome_0_query", query)
    page.wait_for_selector("#outcome_0_listbox [role=option]")
    assert page.get_attribute("#outcome_0_query", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    active = page.get_attribute("#outcome_0_query", "aria-activedescendant")
    assert active == "outcome_0_option_0"
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    assert page.input_value("#outcome_0_query") == query  # the field keeps the words typed
    label = page.inner_text(f"#{active} .concept-label")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#outcome_0_picked li:has-text('{label}') .concept-broader")
    assert page.get_attribute("#outcome_0_query", "aria-expanded") == "false"
    return str(page.get_attribute(f"#outcome_0_picked li:has-text('{label}')", "data-uri")), label


def test_create_an_achievement_with_the_esco_picker(browser: Any, esco_server: Server, language: str) -> None:
    t = TEXT[language]
    check = Checker(esco_server, language)
    page = _context(browser, esco_server, language).new_page()
    _sign_in(page)
    page.goto("/console/achievements/new")
    check(page, "esco-form")
    name = f"Kitchen Hygiene Picker {secrets.token_hex(3)}"
    _type_into(page, "#name", name)
    _type_into(page, "#description", "Hygiene in a commercial kitchen.")
    _type_into(page, "#criteria_narrative", "Observed practical assessment.")
    _type_into(page, "#workload_hours", "12")

    # -- outcome 1, a skill: two concepts through the combobox ----------------------------------------------------
    _type_into(page, "#outcome_0_statement", "Handle food in compliance with hygiene rules.")
    page.focus("#outcome_0_kind")
    page.keyboard.press("ArrowDown")  # knowledge -> skill
    assert page.input_value("#outcome_0_kind") == "skill"
    _type_into(page, "#outcome_0_query", "hygiene")
    page.wait_for_selector("#outcome_0_listbox [role=option]")
    assert t["type"] in page.inner_text("#outcome_0_listbox")  # each option's type, in the page's language
    check(page, "esco-combobox-open")
    page.keyboard.press("Escape")  # closes the listbox
    assert page.get_attribute("#outcome_0_query", "aria-expanded") == "false"
    assert page.locator("#outcome_0_listbox").is_hidden()
    page.keyboard.press("Escape")  # then clears the field
    assert page.input_value("#outcome_0_query") == ""
    first = _pick_with_combobox(page, "comply with food safety")
    second = _pick_with_combobox(page, "hygiene standards")
    assert first[0] != second[0] and first[1] == "comply with food safety and hygiene"
    page.wait_for_selector(f"#outcome_0_query ~ [role=status]:has-text('{t['added']}')", state="attached")
    check(page, "esco-picked")

    # -- outcome 2, an attitude: the suggestion step, one result ticked with the space bar -------------------------
    _type_into(page, "#outcome_1_statement", "Apply hygiene standards when cleaning the kitchen.")
    page.focus("#outcome_1_kind")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # -> attitude
    assert page.input_value("#outcome_1_kind") == "attitude"
    page.focus("button[value='suggest:1']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("#name") == name  # everything typed is kept
    assert page.locator("#outcome_0_picked input[type=hidden]").count() == 2
    page.focus("#outcome_1_result_0")
    page.keyboard.press("Space")
    suggested = page.get_attribute("#outcome_1_result_0", "value")
    check(page, "esco-suggestions")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the form with results is {width} px wide at a 390 px viewport"
    page.set_viewport_size({"width": 1280, "height": 800})
    page.focus("button[value='add:1']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("#outcome_1_picked li", "data-uri") == suggested

    # -- the kind changed afterwards: the API's warning, confirmed -------------------------------------------------
    page.focus("#outcome_1_kind")
    page.keyboard.press("ArrowUp")  # attitude -> skill: the attitude concept no longer fits
    page.focus("#level")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a field, no search words: save
    assert t["warning"] in page.inner_text("#kind-warnings")
    assert "the outcome is a skill outcome" in page.inner_text("#kind-warnings")
    check(page, "esco-warning")
    page.focus("#confirm_warnings")
    page.keyboard.press("Space")
    page.focus("button.button[type=submit]:not([name])")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/console/achievements/*?saved=1")
    assert t["saved"] in page.inner_text("main")
    check(page, "esco-saved")
    achievement_id = page.url.split("?")[0].rsplit("/", 1)[-1]
    stored = _stored(esco_server, achievement_id)
    assert stored[0] == ("skill", [(*first, False), (*second, False)])  # ESCO's labels, as shown
    assert stored[1][0] == "skill" and [(u, w) for u, _l, w in stored[1][1]] == [(suggested, True)]


def test_the_picker_works_without_script(browser: Any, esco_server: Server) -> None:
    """The same fields through the form's own steps (French, keyboard only): Enter in the search field searches,
    the space bar ticks a result, "Add" adds it, Enter in another field saves."""
    # (no axe here: axe runs as a script, which this page may not run; the JS test checks the same server pages)
    context = browser.new_context(base_url=esco_server.base_url, locale="fr-CA", java_script_enabled=False)
    page = context.new_page()
    _sign_in(page)
    page.goto("/console/achievements/new")
    name = f"Hygiène sans script {secrets.token_hex(3)}"
    _type_into(page, "#name", name)
    _type_into(page, "#description", "L’hygiène en cuisine.")
    _type_into(page, "#criteria_narrative", "Évaluation pratique observée.")
    _type_into(page, "#workload_hours", "8")
    _type_into(page, "#outcome_0_statement", "Respecter les règles d’hygiène alimentaire.")
    _type_into(page, "#outcome_0_query", "food hygiene")  # the kind stays "savoir" (knowledge)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("#name") == name
    legend = page.inner_text("#outcome_0_results legend")
    assert "savoir" in legend and "food hygiene" in legend
    label = page.inner_text("label[for=outcome_0_result_0]")
    page.focus("#outcome_0_result_0")
    page.keyboard.press("Space")
    page.focus("button[value='add:0']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert label in page.inner_text("#outcome_0_picked")
    page.focus("#workload_hours")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/console/achievements/*?saved=1")
    stored = _stored(esco_server, page.url.split("?")[0].rsplit("/", 1)[-1])
    assert [(kind, [lbl for _u, lbl, _w in alignments]) for kind, alignments in stored] == [("knowledge", [label])]
    context.close()
