"""The kiosk's seams (kiosk/ports.py): the real store and transport, and the test fakes,
implement every member of their Protocol with the same parameters; the code that uses
them asks nothing else of them (no getattr probes left in kiosk/sync nor kiosk/ui)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from kiosk.localstore import LocalStore
from kiosk.ports import ContentSource, KioskStore, KioskTransport
from kiosk.sync.transport import Transport
from tests.support.fakes import FakeTransport

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"


def members(protocol) -> dict[str, object]:
    """Name -> the Protocol's declaration, its bases' included (not object's)."""
    found = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object,) or klass.__name__ in ("Protocol", "Generic"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                found[name] = value
        for name in getattr(klass, "__annotations__", {}):
            if not name.startswith("_"):
                found.setdefault(name, None)
    return found


def parameters(function) -> list[tuple[str, object]]:
    """(name, kind) of each parameter after self: what a caller may pass."""
    return [(p.name, p.kind) for p in list(inspect.signature(function).parameters.values())[1:]]


def assert_implements(obj_type, protocol, instance) -> None:
    for name, declared in members(protocol).items():
        assert hasattr(instance, name), f"{obj_type.__name__} lacks {name}"
        if callable(declared):
            actual = getattr(obj_type, name)
            assert parameters(actual) == parameters(declared), (
                f"{obj_type.__name__}.{name}{inspect.signature(actual)} is not "
                f"{protocol.__name__}.{name}{inspect.signature(declared)}")
    assert isinstance(instance, protocol)


@pytest.fixture
def memory_store():
    store = LocalStore(":memory:")
    yield store
    store.close()


def test_the_protocols_declare_what_the_kiosk_uses():
    assert {"poles", "service", "plan", "asset"} <= set(members(ContentSource))
    assert {"enqueue", "claim_due", "prune_outbox", "data_dir", "take_offline_number"} <= set(
        members(KioskStore))
    assert {"base_url", "get_content", "wait_for_changes", "get_asset", "heartbeat"} <= set(
        members(KioskTransport))


def test_the_local_store_implements_kiosk_store(memory_store):
    assert_implements(LocalStore, KioskStore, memory_store)


def test_the_http_transport_implements_kiosk_transport():
    transport = Transport("http://127.0.0.1:9", "token")
    try:
        assert_implements(Transport, KioskTransport, transport)
    finally:
        transport._session.close()


def test_the_fake_transport_implements_kiosk_transport_in_full():
    assert_implements(FakeTransport, KioskTransport, FakeTransport())


def test_a_partial_fake_is_refused():
    class Partial:
        base_url = "http://x"

        def get_content(self, since, etag=None):
            return None

    with pytest.raises(AssertionError, match="lacks"):
        assert_implements(Partial, KioskTransport, Partial())

    class WrongParameters(FakeTransport):
        def queue_status(self, service):  # a parameter the callers never pass
            return {}

    with pytest.raises(AssertionError, match="queue_status"):
        assert_implements(WrongParameters, KioskTransport, WrongParameters())


PROBE = re.compile(r"getattr\(\s*(?:self\.|app\.|engine\.)?(store|transport|desk|engine)\b"
                   r"|getattr\(\s*(?:self|app)\s*,\s*[\"'](store|transport|desk|engine)[\"']")


@pytest.mark.parametrize("layer", ["sync", "ui", "localstore"])
def test_no_probe_of_the_store_or_the_transport_is_left(layer):
    found = [f"{path.relative_to(KIOSK)}:{n}: {line.strip()}"
             for path in sorted((KIOSK / layer).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if PROBE.search(line)]
    assert found == []


def test_the_probe_pattern_sees_the_old_shapes():
    for line in ('getter = getattr(self.store, "situations", None)',
                 'if not getattr(app, "transport", None):',
                 'engine = getattr(self, "engine", None)',
                 "base = getattr(self.transport, 'base_url', '')"):
        assert PROBE.search(line), line
    assert not PROBE.search('speech = getattr(screen, "speech_text", None)')
