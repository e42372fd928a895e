"""The documents checklist on the kiosk, under Xvfb against the real demo server: each row
shows its document's pictogram beside its name in the visitor's language (the generic one
for free text), in content order; a tick travels as the ticket's `documents` list.
Screenshots: tests/artifacts/screenshots/documents-{service,situation}-{fr,ar,wo}.png."""

from __future__ import annotations

import pytest

from kiosk.domain.documents import FREE_TEXT_PICTOGRAM, resolve
from tests.conftest import demo_data
from tests.ui.conftest import drive, write_config

pytestmark = pytest.mark.ui

SERVICE, SITUATION = "naissance", "naissance-enfant"  # keys, a note and free text


def run_documents(display, shots, config, out, lang):
    result = drive("tests.ui.documents_driver", "documents", config, out, shots, display,
                   "--param", f"lang={lang}", "--param", f"service={SERVICE}",
                   "--param", f"situation={SITUATION}")
    return result


def expected(kind: str, item_id: str, lang: str) -> list[tuple[str, str]]:
    """(pictogram file, text) of each line of the demo item, in content order."""
    item = next(i for i in demo_data()[kind] if i["id"] == item_id)
    lines = [resolve(entry) for entry in item["documents"]]
    assert all(lines), item_id
    return [(f"{line.pictogram}.png", line.shown().get(lang) or line.shown()["fr"])
            for line in lines]


@pytest.mark.parametrize("lang", ["fr", "ar"])  # the other languages: the layout matrix
def test_checklist_rows_show_each_documents_pictogram(display, shots, server, tmp_path, lang):
    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")
    result = run_documents(display, shots, config, tmp_path / "documents.json", lang)

    for rows, kind, item_id, prefix in (
            (result["service_rows"], "services", SERVICE, "doc"),
            (result["situation_rows"], "situations", SITUATION, "sdoc")):
        want = expected(kind, item_id, lang)
        assert [(r["image"], r["text"]) for r in rows] == want
        assert [r["tid"] for r in rows] == [f"{prefix}-{i}" for i in range(len(want))]
        assert all(r["image_exists"] for r in rows)  # the built PNG, not a broken image
        assert {r["image"] for r in rows} - {f"{FREE_TEXT_PICTOGRAM}.png"}  # keys, not only text
        for row in rows:  # right to left in Arabic: box, pictogram, words from the right
            assert row["mirrored"] is (lang == "ar")
            assert (row["image_x"] > row["words_x"]) is (lang == "ar")

    service = next(s for s in demo_data()["services"] if s["id"] == SERVICE)
    ticks = result["ticks"]
    assert [t["doc"] for t in ticks] == [e.get("doc", "") for e in service["documents"]]
    assert [t["have"] for t in ticks] == [i == 1 for i in range(len(ticks))]
    assert all(t["text"]["fr"] for t in ticks)
