"""What the kiosk says of the wait, under Xvfb with real touches against the real demo
server: a ticket taken first at an open counter is told "stay in the hall" (the server's
`wait_status`), and the ticket screen says each kind of wait the server may answer (a range
when wide, "stay in the hall", "we may not reach you today") in the catalog's words of each
language. Screenshots: tests/artifacts/screenshots/ticket-wait-*-{fr,ar,zh,wo}.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.ui import i18n
from tests.ui.conftest import drive
from tests.ui.test_flows import write_flow_config

pytestmark = pytest.mark.ui

LANGS = ("fr", "ar", "zh", "wo")
SERVICE = "carte-citoyenne"  # served by an open counter, nobody waiting (demo content)


def run_wait_texts(display, shots, config: Path, out: Path) -> dict:
    result = drive("tests.ui.wait_driver", "wait_texts", config, out, shots, display,
                   "--param", f"service={SERVICE}", "--param", "langs=" + ",".join(LANGS))
    return result


def test_the_ticket_screen_says_every_kind_of_wait_in_each_language(display, shots, server,
                                                                     tmp_path):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_wait_texts(display, shots, config, tmp_path / "out.json")
    assert result["state"] == "ready"
    fr = i18n.read_po(i18n.po_path("fr"))
    # First in line at an open counter: the server says "soon", the screen says to stay.
    assert result["real_wait_status"] == "soon"
    assert result["real_wait_text"] == fr["wait_soon"]
    for lang in LANGS:
        tr = i18n.read_po(i18n.po_path(lang))
        texts = {name: result["texts"][f"{lang}:{name}"] for name in ("range", "soon", "not_today")}
        assert texts["range"] == tr["wait_range"].format(low=20, high=41), lang
        assert texts["soon"] == tr["wait_soon"], lang
        assert texts["not_today"] == tr["wait_not_today"], lang
        assert len(set(texts.values())) == 3
