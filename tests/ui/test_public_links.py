"""The kiosk's QR links to the server's public pages carry its site (kiosk/ui/links.py)."""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.config import load_config
from kiosk.ui.links import public_url

CONNECTED = object()  # a kiosk with a server transport


def app(site="", transport=CONNECTED, language="ar"):
    settings = SimpleNamespace(server_url="https://carrefour.example/", site=site)
    return SimpleNamespace(settings=settings, transport=transport, language=language)


def test_a_link_names_the_kiosks_site_and_the_visitors_language():
    assert (public_url(app("paris-18"), "/s/naissance")
            == "https://carrefour.example/s/naissance?lang=ar&site=paris-18")
    assert (public_url(app("paris-18", language="fr"), "/proposer")
            == "https://carrefour.example/proposer?lang=fr&site=paris-18")


def test_without_a_site_the_link_is_as_before_and_without_a_server_there_is_none():
    assert public_url(app(""), "/o/troc-livres") == "https://carrefour.example/o/troc-livres?lang=ar"
    assert public_url(app("paris-18", transport=None), "/o/troc-livres") == ""


def test_the_site_comes_from_the_config_file_or_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.toml"
    path.write_text('[server]\nserver_url = "https://x.example"\nsite = "paris-19"\n')
    monkeypatch.delenv("CARREFOUR_SITE", raising=False)
    assert load_config(path).site == "paris-19"
    monkeypatch.setenv("CARREFOUR_SITE", "paris-20")
    assert load_config(path).site == "paris-20"
