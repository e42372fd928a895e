"""The carnet flow's rules without a screen (kiosk/ui/carnet_flow.py): a typo or a short code
is refused before any look-up; a known code is kept for its service; an unknown one is said;
offline (or any fault but 404) the code goes with the ticket unchecked; the idle reset and
the ticket forget it; the paper gets each document's pictogram."""

from __future__ import annotations

from kiosk.domain import carnet_code
from kiosk.domain.documents import DOCUMENTS, FREE_TEXT_PICTOGRAM
from kiosk.ports import TransportError
from kiosk.ui.carnet_flow import CarnetFlowMixin, shown_code
from tests.support.fakes import FakeTransport

SERVICE = "etat-civil"


class Screen:
    def __init__(self, service_id=SERVICE):
        self.service_id = service_id
        self.events: list = []

    def show(self, service_id):
        self.service_id = service_id

    def checking(self):
        self.events.append("checking")

    def unknown(self):
        self.events.append("unknown")

    def wipe(self):
        self.events.append("wipe")

    def show_carnet(self, code, checked):
        self.events.append(("carnet", code, checked))


class Root:
    current = "carnet"


class Bridge:
    """Runs the job at once, as the bridge's worker then the Kivy thread would."""

    def submit(self, job, done, error):
        try:
            answer = job()
        except Exception as exc:
            error(exc)
        else:
            done(answer)


class App(CarnetFlowMixin):
    def __init__(self, transport):
        self.transport = transport
        self.bridge = Bridge()
        self.root = Root()
        self.screens = {"service": Screen(), "carnet": Screen()}
        self.backs = 0

    def flow_screen(self, name):
        return self.screens[name]

    def go_back(self):
        self.backs += 1
        self.root.current = "service"

    def localized(self, texts):
        return texts.get("en") or texts.get("fr", "")

    def pictogram(self, slug):
        return f"/pictograms/{slug}.png"


def test_a_typo_or_a_short_code_is_refused_before_any_look_up():
    transport = FakeTransport()
    app = App(transport)
    code = carnet_code.mint()
    assert app.carnet_submit(code[:-1]) == "carnet_error_short"
    assert app.carnet_submit(code[:-1] + str((int(code[-1]) + 1) % 10)) == "carnet_error_typo"
    assert transport.calls == [] and app.carnet_checks == 0 and app.carnet_draft is None


def test_a_known_code_is_kept_for_its_service_only():
    transport = FakeTransport()
    code = carnet_code.mint()
    transport.carnets[code] = 2
    app = App(transport)
    assert app.carnet_submit(carnet_code.display(code)) is None
    assert transport.calls == [("check_carnet", (code,))]
    assert app.carnet_draft == (SERVICE, code) and app.backs == 1
    assert ("carnet", code, True) in app.screens["service"].events
    assert app.carnet_for(SERVICE) == code and app.carnet_for("other") == ""
    app.forget_carnet()
    assert app.carnet_for(SERVICE) == ""


def test_an_unknown_code_is_said_and_nothing_is_kept():
    app = App(FakeTransport())
    assert app.carnet_submit(carnet_code.mint()) is None
    assert app.screens["carnet"].events == ["checking", "unknown"]
    assert app.carnet_draft is None and app.backs == 0
    app.carnet_skip()  # "continue without a carnet"
    assert app.backs == 1 and ("carnet", "", False) in app.screens["service"].events


def test_offline_the_code_goes_with_the_ticket_unchecked():
    transport = FakeTransport()
    transport.fail["check_carnet"] = TransportError("refused")  # retryable: no network
    app = App(transport)
    code = carnet_code.mint()
    app.carnet_submit(code)
    assert app.carnet_draft == (SERVICE, code)
    assert ("carnet", code, False) in app.screens["service"].events


def test_an_answer_after_the_visitor_left_is_dropped():
    transport = FakeTransport()
    code = carnet_code.mint()
    transport.carnets[code] = 1
    app = App(transport)
    app.root.current = "home"  # the idle reset came while the code was checked
    app.carnet_submit(code)
    assert app.carnet_draft is None and app.backs == 0


def test_the_paper_gets_each_documents_pictogram_and_both_names():
    key = next(iter(DOCUMENTS))
    app = App(FakeTransport())
    printed = app.printed_documents([
        {"doc": key, "text": {"fr": "Pièce", "en": "Card"}, "have": True},
        {"doc": "", "text": {"fr": "Livret"}, "have": False}])
    assert [d.pictogram for d in printed] == [
        f"/pictograms/{DOCUMENTS[key].pictogram}.png", f"/pictograms/{FREE_TEXT_PICTOGRAM}.png"]
    assert [(d.name, d.name_fr, d.have) for d in printed] == [
        ("Card", "Pièce", True), ("Livret", "Livret", False)]


def test_the_code_is_shown_grouped_with_no_break_spaces():
    assert shown_code("1234567897") == "123\u00a0456\u00a07897" and shown_code("") == ""
