"""The `asset` content kind (kiosk/domain/content.py): a file named by its SHA-256."""

from __future__ import annotations

import pytest

from kiosk.domain.content import KINDS, Asset, ContentError, parse_item

SHA = "ab" * 32


def wire(**overrides) -> dict:
    return {"id": "naissance", "kind": "pictogram", "sha256": SHA, "size": 1234,
            "type": "image/png", **overrides}


def test_an_asset_parses_and_names_its_file():
    asset = parse_item("asset", wire())
    assert KINDS["asset"] is Asset
    assert asset == Asset("naissance", "pictogram", SHA, 1234, "image/png")
    assert asset.filename == f"{SHA}.png"
    audio = Asset.from_wire(wire(id="naissance-wo", kind="audio", type="audio/wav"))
    assert audio.filename == f"{SHA}.wav"


@pytest.mark.parametrize("overrides", [
    {"sha256": "AB" * 32}, {"sha256": "ab" * 31}, {"sha256": None},
    {"size": 0}, {"size": 1024 * 1024 + 1}, {"size": "12"}, {"size": True},
    {"type": "image/svg+xml"}, {"type": "audio/wav"}, {"kind": "video"},
    {"kind": "audio", "type": "image/png"}, {"id": "Pas un slug"},
])
def test_bad_assets_are_rejected(overrides):
    with pytest.raises(ContentError):
        parse_item("asset", wire(**overrides))
