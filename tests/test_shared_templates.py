"""make test's suites share their demo servers' SQLite templates (tests/support/servers.py):
one build per set of server settings, whatever the number of processes asking at once; a
build cut short leaves nothing a later one would copy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.server.launcher import LocalServer
from tests.support import servers


@pytest.fixture
def builds(monkeypatch, tmp_path):
    """The templates' folder set as run-tests.sh sets it; `prepare` recorded, not run."""
    monkeypatch.setenv(servers.SHARED_TEMPLATES, str(tmp_path / "templates"))
    (tmp_path / "templates").mkdir()
    made: list[Path] = []
    lock = threading.Lock()

    def prepare(self, demo: bool, timetables: bool) -> None:
        assert demo and not timetables
        if self.extra_env.get("FAIL"):
            raise RuntimeError("migrate failed")
        (self.data_dir / "server.sqlite3").write_text(repr(sorted(self.extra_env.items())))
        with lock:
            made.append(self.data_dir)

    monkeypatch.setattr(LocalServer, "prepare", prepare)
    return made


def _server(tmp_path: Path, name: str, **env: str) -> LocalServer:
    return LocalServer(data_dir=tmp_path / name, database_url=f"sqlite:///{tmp_path / name}.db",
                       extra_env=env)


def test_one_build_for_every_process_asking_at_once(builds, tmp_path):
    found: list[Path] = []
    askers = [threading.Thread(target=lambda n=n: found.append(
        servers._shared_sqlite_template(_server(tmp_path, f"s{n}")))) for n in range(6)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert len(builds) == 1 and len(set(found)) == 1 and len(found) == 6
    assert (found[0] / "server.sqlite3").read_text() == "[]"
    # Other settings: a template of their own.
    other = servers._shared_sqlite_template(_server(tmp_path, "r", RATELIMIT_ENABLED="0"))
    assert other != found[0] and len(builds) == 2
    assert (other / "server.sqlite3").read_text() == "[('RATELIMIT_ENABLED', '0')]"


def test_a_failed_build_leaves_no_template(builds, tmp_path):
    with pytest.raises(RuntimeError):
        servers._shared_sqlite_template(_server(tmp_path, "a", FAIL="1"))
    templates = tmp_path / "templates"
    assert not [p for p in templates.iterdir() if p.is_dir() and p.name.startswith("sqlite-")]


def test_without_the_folder_each_process_builds_its_own(builds, monkeypatch, tmp_path):
    monkeypatch.delenv(servers.SHARED_TEMPLATES)
    assert servers._shared_sqlite_template(_server(tmp_path, "a")) is None
    assert builds == []
