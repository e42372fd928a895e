"""The carnet du citoyen as a visitor and an agent live it, in French and in Arabic, in one
run across both halves: the real kiosk (Kivy under Xvfb, real touches) and headless Chromium
(the phone page, the agent's console), against one real server.

1. Kiosk: the visitor ticks documents of a service, takes a ticket; its QR holds the phone
   link, the screen shows the carnet code.
2. Phone (the QR's link): the kiosk's ticks are there; one is changed; the carnet is kept
   (consent box), under the code the kiosk showed.
3. Console: the agent calls the ticket, reads "ready X of Y; missing ..." as the phone left
   it, writes the fiche de liaison (status pictogram, next step, note).
4. Second visit: the code typed on the kiosk joins the carnet; the console shows the history
   when that ticket is called.

Its own server: the agent's "call next" must call this journey's tickets, not tickets other
UI tests left waiting at the same counter. Screenshots: tests/artifacts/screenshots/
carnet-journey-*.png. Every wait is on a condition (a screen, an element, a response)."""

from __future__ import annotations

import pytest

from kiosk.domain import carnet_code
from kiosk.domain import fiche as fiche_texts
from kiosk.ui import i18n
from tests.browser.conftest import agent_console, browser  # noqa: F401 (the fixture)
from tests.support import siteclock
from tests.support.servers import demo_server
from tests.ui.conftest import drive
from tests.ui.test_flows import printer_section, write_flow_config

pytestmark = [pytest.mark.ui, pytest.mark.browser]

SERVICE = "conseil-habitat"  # four documents in the demo content; served by Guichet 5
COUNTER = "Guichet 5"
NOTE = "Avis d'imposition de moins d'un an"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # On the site clock, as the kiosks it serves (tests/support/siteclock.py).
    with demo_server(tmp_path_factory.mktemp("journey-server"), sqlite_only=True,
                     extra_env=siteclock.env()) as srv:
        yield srv


@pytest.fixture
def visit(display, shots, server, tmp_path):
    """One visit at the kiosk (tests/ui/carnet_driver.py carnet_visit), in its own kiosk
    process, printer on file: the driver's JSON result, with the paper printed."""
    def run(name: str, ticks: list[int], code: str = "", lang: str = "fr") -> dict:
        printed = tmp_path / f"{name}.bin"
        config = write_flow_config(tmp_path / f"{name}.toml", server.url, server.kiosk_token,
                                   tmp_path / name, extra=printer_section(printed))
        extra = ["--param", f"service={SERVICE}", "--param", f"name={name}",
                 "--param", f"ticks={','.join(map(str, ticks))}", "--param", f"lang={lang}"]
        if code:
            extra += ["--param", f"code={code}"]
        result = drive("tests.ui.carnet_driver", "carnet_visit", config,
                       tmp_path / f"{name}.json", shots, display, *extra)
        result["paper"] = printed.read_bytes()
        return result

    return run


def call_next(page, number: str) -> str:
    """Call the next ticket; once the carnet panel is about `number`, its text."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click("[data-testid=call-next]")
    page.wait_for_function(
        "(n) => { const p = document.getElementById('carnet-panel');"
        " return p && p.querySelector('h2').textContent.includes(n); }", arg=number)
    return page.inner_text("#carnet-panel")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_visitor_and_an_agent_live_the_carnet_end_to_end(visit, server, browser,  # noqa: F811
                                                           shots, lang):
    """The visitor in French, then in Arabic (right to left: the kiosk, the phone page and
    the carnet's page in Arabic; the agent's console in French)."""
    tr = i18n.read_po(i18n.po_path(lang))
    suffix = "" if lang == "fr" else f"-{lang}"

    # 1. The kiosk: two of four documents ticked, a ticket with a carnet code and a QR.
    first = visit(f"carnet-journey-1{suffix}", ticks=[0, 2], lang=lang)
    assert first["state"] == "ready" and first["ticks_shown"] == [True, False, True, False]
    ticket = first["ticket"]
    code, link = ticket["carnet_code"], ticket["phone_url"]
    assert carnet_code.is_valid(code) and not ticket["carnet_linked"]
    assert first["qr_holds_phone_url"] is True  # the QR shown is the phone link, module by module
    shown = carnet_code.display(code)
    assert first["carnet_line"] == tr["ticket_carnet"].format(code=shown.replace(" ", "\u00a0"))
    assert ("Code carnet : " + shown).encode("cp858") in first["paper"]
    assert link.encode() in first["paper"]  # the paper's QR (GS ( k) holds the same link
    names = [d["text"]["fr"] for d in ticket["documents"]]  # as the agent reads them
    seen = [d["text"].get(lang) or d["text"]["fr"] for d in ticket["documents"]]  # visitor
    assert [d["have"] for d in ticket["documents"]] == [True, False, True, False]

    # 2. The phone, at the QR's link: the kiosk's ticks; one more ticked; the carnet kept.
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    agent_context, agent = agent_console(browser, server, COUNTER)
    try:
        phone = phone_context.new_page()
        phone.goto(link)
        phone.wait_for_selector("[data-testid=documents]")
        assert [phone.is_checked(f"[data-testid=doc-{i}]") for i in range(4)] == \
            [True, False, True, False]
        phone.check("[data-testid=doc-1]")
        with phone.expect_navigation():
            phone.click("[data-testid=save-ticks]")
        assert [phone.is_checked(f"[data-testid=doc-{i}]") for i in range(4)] == \
            [True, True, True, False]
        assert phone.evaluate("document.documentElement.lang") == lang
        phone.screenshot(path=str(shots / f"carnet-journey-2-phone-ticks{suffix}.png"),
                         full_page=True)
        phone.check("[data-testid=consent]")  # explicit consent: the form needs it
        with phone.expect_navigation():
            phone.click("[data-testid=keep]")
        assert phone.inner_text("[data-testid=carnet-code]").replace(" ", "") == code
        carnet_link = phone.inner_text("[data-testid=carnet-url]").strip()
        assert "/c/" in carnet_link
        phone.screenshot(path=str(shots / f"carnet-journey-2-phone-kept{suffix}.png"),
                         full_page=True)
        with phone.expect_navigation():  # "Ouvrir mon carnet": its page, this procedure
            phone.click("[data-testid=carnet-link]")
        assert phone.url.split("?")[0] == carnet_link
        assert phone.inner_text("[data-testid=carnet-code]").replace(" ", "") == code
        assert phone.locator("[data-testid=procedure]").count() == 1
        assert phone.locator("[data-testid=fiche]").count() == 0  # nothing written yet

        # 3. The console: the call shows the ticks as the phone left them; the fiche.
        panel = call_next(agent, ticket["number"])
        # The agent sees the visitor's language (its code and its own name).
        badge = agent.locator(f"[data-testid=lang-{ticket['number']}]").first
        assert badge.inner_text().split()[0] == lang.upper()
        summary = agent.inner_text("[data-testid=docs-summary]")
        assert summary == f"Documents : 3 sur 4 ; manque : {names[3]}", summary
        assert "Carnet : oui" in panel, panel  # kept on the phone a moment ago
        agent.check("[data-testid=status-documents_missing]")
        agent.check("[data-testid=next-come_back_documents]")
        agent.fill("[data-testid=fiche-note]", NOTE)
        agent.locator("#carnet-panel").scroll_into_view_if_needed()
        agent.screenshot(path=str(shots / f"carnet-journey-3-console-fiche{suffix}.png"),
                         full_page=True)
        with agent.expect_navigation():
            agent.click("[data-testid=fiche-save]")
        assert "Fiche de liaison enregistrée" in agent.inner_text("ul.messages")
        phone.reload()  # the visitor's carnet page now has the agent's fiche
        fiche = phone.inner_text("[data-testid=fiche]")  # in the visitor's language
        assert fiche_texts.status("documents_missing").text(lang) in fiche
        assert NOTE in fiche and seen[3] in fiche
        phone.screenshot(path=str(shots / f"carnet-journey-3-phone-carnet{suffix}.png"),
                         full_page=True)

        # 4. The second visit: one document ticked, the carnet code typed on the kiosk.
        second = visit(f"carnet-journey-4{suffix}", ticks=[0], code=code, lang=lang)
        assert second["carnet_button_after"] == tr["carnet_attached"].format(
            code=shown.replace(" ", "\u00a0"))
        assert second["ticket"]["carnet_linked"] is True
        assert second["ticket"]["carnet_code"] == code
        assert second["carnet_line"] == tr["ticket_carnet_joined"].format(
            code=shown.replace(" ", "\u00a0"))
        panel = call_next(agent, second["ticket"]["number"])
        assert agent.inner_text("[data-testid=docs-summary]") == \
            f"Documents : 1 sur 4 ; manque : {', '.join(names[1:])}"
        assert "Carnet : oui (1 démarche précédente)" in panel, panel
        history = agent.inner_text("[data-testid=carnet-history]")
        # The first visit as the phone left it (3 of 4), and its fiche.
        for line in ("Documents prêts : 3 / 4", "Il manque des documents",
                     f"Manquait : {names[3]}", "Revenir avec les documents manquants", NOTE):
            assert line in history, history
        agent.locator("#carnet-panel").scroll_into_view_if_needed()
        agent.screenshot(path=str(shots / f"carnet-journey-4-console-history{suffix}.png"),
                         full_page=True)
    finally:
        phone_context.close()
        agent_context.close()
