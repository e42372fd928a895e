"""The pure rules of remote updates (kiosk/domain/updates.py)."""

from __future__ import annotations

import json

import pytest

from kiosk.domain.updates import (
    Manifest,
    ManifestError,
    ReleaseFile,
    is_quiet,
    parse_manifest,
    pilot_confirms,
    rollout_version,
)

SHA = "ab" * 32


def manifest(**changes) -> bytes:
    raw = {"format": 1, "version": "0.2.0", "requirement": "carrefour[kiosk]==0.2.0",
           "files": [{"name": "carrefour-0.2.0-py3-none-any.whl", "sha256": SHA, "size": 10}]}
    raw.update(changes)
    return json.dumps(raw).encode()


def test_a_manifest_round_trips_through_its_canonical_bytes():
    parsed = parse_manifest(manifest())
    assert parsed == Manifest("0.2.0", "carrefour[kiosk]==0.2.0",
                              (ReleaseFile("carrefour-0.2.0-py3-none-any.whl", SHA, 10),))
    assert parse_manifest(parsed.to_json()) == parsed


@pytest.mark.parametrize("changes", [
    {"format": 2},
    {"version": "../0.2"},
    {"requirement": "carrefour[kiosk]==0.3.0"},  # pins another version than it claims
    {"requirement": "carrefour --index-url http://evil"},
    {"files": []},
    {"files": [{"name": "../../etc/passwd.whl", "sha256": SHA, "size": 1}]},
    {"files": [{"name": "x.sh", "sha256": SHA, "size": 1}]},
    {"files": [{"name": "a.whl", "sha256": "zz", "size": 1}]},
    {"files": [{"name": "a.whl", "sha256": SHA, "size": -1}]},
    {"files": [{"name": "a.whl", "sha256": SHA, "size": 1, "extra": 1}]},
    {"files": [{"name": "a.whl", "sha256": SHA, "size": 1}] * 2},
])
def test_a_manifest_out_of_shape_is_refused(changes):
    with pytest.raises(ManifestError):
        parse_manifest(manifest(**changes))


def test_not_json_is_refused():
    with pytest.raises(ManifestError):
        parse_manifest(b"\xff{")


def staged(**kw):
    args = dict(is_pilot=False, kiosk_target=None, site_target="2", site_previous="1",
                pilot=True, pilot_confirmed=False)
    args.update(kw)
    return rollout_version(**args)


def test_staged_rollout_pilot_first_then_the_site():
    assert staged(is_pilot=True) == "2"
    assert staged() == "1"  # the others keep the previous target meanwhile
    assert staged(site_previous=None) is None  # ...or stay as they are
    assert staged(pilot_confirmed=True) == "2"  # the pilot confirmed: the site follows
    assert staged(pilot=False) == "2"  # no pilot: everyone at once
    assert staged(kiosk_target="3") == "3"  # a version chosen for the kiosk itself wins
    assert staged(site_target=None, site_previous=None) is None


def test_the_pilot_confirms_only_past_its_boot_guard_on_the_target():
    assert pilot_confirms(reported_version="2", reported_state="confirmed", target="2")
    assert not pilot_confirms(reported_version="2", reported_state="switched", target="2")
    assert not pilot_confirms(reported_version="1", reported_state="confirmed", target="2")
    assert not pilot_confirms(reported_version="1", reported_state="rolled_back", target="2")


def test_quiet_means_home_nobody_mid_journey_and_an_empty_outbox():
    assert is_quiet(on_home=True, journey_active=False, outbox_depth=0)
    assert not is_quiet(on_home=False, journey_active=False, outbox_depth=0)
    assert not is_quiet(on_home=True, journey_active=True, outbox_depth=0)
    assert not is_quiet(on_home=True, journey_active=False, outbox_depth=1)
