"""The visitor journeys under Xvfb, with real touches, against the real demo server:
life situation → service → ticket, priority category, SMS opt-in, search, call an agent,
idle reset. Screenshots of every new screen land in tests/artifacts/screenshots/flows-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from kiosk.domain.content import parse_item
from kiosk.domain.documents import resolve
from kiosk.ui.searching import fold, search
from tests.conftest import demo_data
from tests.support.patience import NEVER
from tests.ui.conftest import REQUEST_TIMEOUT, screen_section

pytestmark = pytest.mark.ui


def write_flow_config(path: Path, server_url: str, token: str, data_dir: Path,
                      idle_timeout: float = NEVER, idle_warning: float = 20.0, extra: str = "") -> Path:
    path.write_text(
        "[server]\n"
        f'server_url = "{server_url}"\n'
        f'token = "{token}"\n'
        f"sync_interval = 5.0\nrequest_timeout = {REQUEST_TIMEOUT}\n\n"
        f'[kiosk]\ndata_dir = "{data_dir}"\n'
        f"idle_timeout = {idle_timeout}\nidle_warning = {idle_warning}\n\n"
        + screen_section() + "\n[speech]\nenabled = false\n\n" + extra,
        encoding="utf-8",
    )
    return path


def api(server, path: str) -> dict:
    answer = requests.get(f"{server.url}/api/v1{path}",
                          headers={"Authorization": f"Bearer {server.kiosk_token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def situation(situation_id: str) -> dict:
    return next(s for s in demo_data()["situations"] if s["id"] == situation_id)


def service(service_id: str) -> dict:
    return next(s for s in demo_data()["services"] if s["id"] == service_id)


@pytest.fixture
def config(server, tmp_path):
    return write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")


def printer_section(path: Path, simulate: str = "ok") -> str:
    return f'[printer]\nbackend = "file"\npath = "{path}"\nsimulate = "{simulate}"\n'


def test_a_life_situation_leads_to_a_service_and_a_ticket(run_kiosk, server, tmp_path):
    spool = tmp_path / "printer.bin"
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", extra=printer_section(spool))
    birth = situation("naissance-enfant")
    result = run_kiosk("situation_ticket", config, "--param", "situation=naissance-enfant",
                       "--param", "service=naissance", "--param", "gentle=deces-proche")
    situations = sorted(demo_data()["situations"], key=lambda s: s["order"])
    assert result["situations"] == [f"situation-{s['id']}" for s in situations]
    assert result["situation_services"] == [f"service-{sid}" for sid in birth["services"]]
    assert result["situation_documents"] == [resolve(d).shown()["fr"] for d in birth["documents"]]
    assert result["gentle"] == ""  # the offer of an agent's company is for a death only
    assert "accompagner" in result["gentle_other"]
    # The service page: a checklist that ticks, the current wait from the server, the plan.
    assert result["doc0_checked"] is True and result["checklist_count"].startswith("1 document")
    assert "attente" in result["service_wait"] or "Personne" in result["service_wait"]
    # The plan agents uploaded once synced (by hash), else the one bundled under its name.
    assert re.search(rf"(/{service('naissance')['plan']}|/[0-9a-f]{{64}})\.png$",
                     result["plan_source"])
    assert result["qr"] is True
    assert result["state"] == "ready"
    assert re.fullmatch(rf"{service('naissance')['prefix']}\d{{3}}", result["number"])
    on_server = api(server, f"/tickets/{result['ticket']['id']}")
    assert on_server["number"] == result["number"]
    assert on_server["priority"] == "" and on_server["sms"] is False
    assert result["sms_line"] == ""
    # Printed too: the number is in the bytes sent to the (file) printer.
    assert "Prenez votre ticket" in result["print_line"]
    assert result["number"].encode() in spool.read_bytes()
    assert result["places"][0] == "place-parc-buttes-chaumont"
    assert "code QR" in result["waitinfo_intro"]
    assert result["home_after"] is True


def test_priority_and_sms_opt_in_reach_the_server(run_kiosk, server, tmp_path):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", extra=printer_section(tmp_path / "p", "paper_out"))
    target = service("naissance")
    result = run_kiosk("priority_sms", config, "--pole", target["pole"], "--service", target["id"],
                       "--param", "priority=pregnancy", "--param", "bad=0123",
                       "--param", "good=0612345678")
    # A wrong number: a clear error, still on the keypad, no ticket asked for.
    assert "numéro" in result["bad_error"]
    assert result["bad_screen"] == "sms_phone"
    assert result["requests_after_bad"] == 0
    assert result["typed"] == "06 12 34 56 78"
    # The right one: one ticket, with its priority and its SMS, on the server.
    assert result["state"] == "ready"
    assert result["requests_after_good"] == 1
    on_server = api(server, f"/tickets/{result['ticket']['id']}")
    assert on_server["priority"] == "pregnancy"
    assert on_server["sms"] is True
    assert "+33 6" in result["sms_line"] and "78" in result["sms_line"]
    assert "12 34 56" not in result["sms_line"]  # the number is shown masked
    assert result["keypad_after"] == ""  # nothing of the number left on the keypad
    # Out of paper: the visitor is told what to do, the number stays on the screen.
    assert "Plus de papier" in result["print_line"] and result["number"]


def test_search_finds_the_service_in_three_scripts(run_kiosk, config):
    result = run_kiosk("search", config, "--param", "word=naissance", "--param", "service=naissance",
                       "--param", "chip=naissance", "--param", "ar_word=ولادة")
    assert result["query"] == "naissance"
    assert "result-service-naissance" in result["results"][:2]
    assert "result-situation-naissance-enfant" in result["results"]
    assert result["opened"] == "naissance"
    assert "chip-naissance" in result["zh_chips"] and result["zh_keyboard_shown"] is False
    assert "result-service-naissance" in result["zh_results"]
    assert "result-service-naissance" in result["ar_results"]


def test_search_is_accent_and_case_insensitive():
    items = [("service", parse_item("service", s)) for s in demo_data()["services"]]
    assert fold("Décès") == "deces"
    assert search("DECES", items, "fr")[0].id == "deces"
    assert search("déclaration naissance", items, "fr")[0].id == "naissance"
    assert search("birth", items, "en")[0].id == "naissance"
    assert search("", items, "fr") == []


def test_calling_an_agent_creates_a_request_on_the_server(run_kiosk, server, config):
    pole = sorted(demo_data()["poles"], key=lambda p: p["order"])[0]["id"]
    result = run_kiosk("assist", config, "--pole", pole)
    assert result["state"] in ("sent", "taken"), result["detail"]
    assert result["request_id"]
    request = api(server, f"/assistance/{result['request_id']}")
    assert request["status"] in ("open", "handled")
    # The agents' console shows where the visitor called from (the API's `note`).
    assert request["note"] == "Écran : pole"


def test_the_assist_screen_sends_to_reception_without_a_server(run_kiosk, server, tmp_path):
    # A kiosk with content but a server that went away: "go to the reception desk".
    from kiosk.localstore import LocalStore
    from kiosk.sync.engine import SyncEngine
    from kiosk.sync.transport import Transport
    from tests.ui.test_kiosk_ui import closed_port

    store = LocalStore(tmp_path / "k" / "kiosk.sqlite3")
    try:
        SyncEngine(store, Transport(server.url, server.kiosk_token)).sync_once()
    finally:
        store.close()
    config = write_flow_config(tmp_path / "kiosk.toml", f"http://127.0.0.1:{closed_port()}",
                               server.kiosk_token, tmp_path / "k")
    pole = sorted(demo_data()["poles"], key=lambda p: p["order"])[0]["id"]
    result = run_kiosk("assist", config, "--pole", pole, "--prefix", "offline-")
    assert result["state"] == "failed"
    assert "accueil" in result["detail"]


def test_idle_reset_warns_gives_more_time_then_wipes_the_typed_number(run_kiosk, server, tmp_path):
    target = service("naissance")
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", idle_timeout=12.0, idle_warning=8.0)
    result = run_kiosk("idle", config, "--pole", target["pole"], "--service", target["id"])
    assert result["typed_before"] == "0612"
    # 8 s of warning: time to touch "more time" even on a busy machine.
    assert result["warning_text"] and result["warning_text"] <= 8
    # "More time": the warning goes, the visitor keeps their screen and their digits.
    assert result["after_more_screen"] == "sms_phone"
    assert result["after_more_typed"] == "0612"
    assert result["after_more_dialog"] is False
    # The countdown started again from the touch (12 s), not from the earlier one (<= 8 s).
    assert result["reset_after_seconds"] >= 11.0
    # The reset: home, default language, the half-typed number gone.
    assert result["typed_after"] == ""
    assert result["language_after"] == "fr"
    assert result["resets"] == 1
    assert result["ticket_after"] is None


def test_a_ticket_taken_while_the_network_is_cut_comes_from_the_lease(run_kiosk, server, tmp_path):
    import json

    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_kiosk("offline_ticket", config, "--param", "service=naissance")
    prefix = service("naissance")["prefix"]
    assert result["state"] == "ready" and result["offline"] is True
    assert re.fullmatch(rf"{prefix}\d{{3}}", result["number"])
    assert result["lease_after"] == result["lease_before"] - 1
    assert result["qr_shown"] is True  # the kiosk's own token: "on its way" until uploaded
    assert "inconnue" in result["wait_text"].lower()
    assert "hors ligne" in result["message"].lower()
    assert result["outbox_while_cut"] >= 1 and result["outbox_after"] == 0
    # Uploaded once the link returned: on the server with its number, marked offline.
    found = json.loads(server.manage("shell", "-c", (
        "import json; from django.utils import timezone; "
        "from kiosk.server.queueing.models import Ticket; "
        "print(json.dumps([[t.offline] for t in Ticket.objects.filter(service__slug='naissance', "
        "created_at__date=timezone.localdate()) if t.display == " + repr(result["number"]) + "]))"))
        .strip().splitlines()[-1])
    assert found == [[True]]


def test_a_service_shows_its_synced_floor_plan_with_landmarks(run_kiosk, config):
    """The plan agents uploaded reaches the kiosk (its image by hash) and the service page
    shows it, the spot and the plan's landmarks, readable and off the spot.
    Screenshot: flows-service-plan.png."""
    target = service("naissance")
    plan = next(p for p in demo_data()["plans"] if p["id"] == target["plan"])
    result = run_kiosk("service_plan", config, "--param", f"pole={target['pole']}",
                       "--param", f"service={target['id']}")
    assert result["plan_source"].startswith(result["synced_dir"])  # not the bundled file
    assert result["markers"] == [[h["id"], h["label"]["fr"]] for h in plan["hotspots"]]
    assert result["markers_en"] == [[h["id"], h["label"]["en"]] for h in plan["hotspots"]]
    sx, sy = result["spot"]
    left, bottom, width, height = result["image_box"]
    for (x, y, w, h), (dx, dy), spot in zip(result["marker_boxes"], result["marker_dots"],
                                            plan["hotspots"], strict=True):
        assert abs(dx - (left + spot["x"] * width)) < 1.5  # the dot on the landmark
        assert abs(dy - (bottom + height - spot["y"] * height)) < 1.5
        nearest = (min(max(sx, x), x + w) - sx) ** 2 + (min(max(sy, y), y + h) - sy) ** 2
        assert nearest > 20 ** 2  # no label over the service's spot
