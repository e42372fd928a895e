"""The kiosk's configuration names its mairie: the printed ticket's header comes from it,
never from another site's name (one server serves several mairies)."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "kiosk.example.toml"


def test_the_site_and_its_name_come_from_the_config(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[server]\nsite = "paris-18"\n[kiosk]\nsite_name = "Mairie du 18e"\n',
                    encoding="utf-8")
    config = load_config(path)
    assert (config.site, config.site_name) == ("paris-18", "Mairie du 18e")


def test_the_example_config_documents_both():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "site = " in text and "site_name = " in text
    assert load_config(EXAMPLE, token="t").site_name  # every key the example shows is known
