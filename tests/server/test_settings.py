"""Production settings: Django's deploy checks pass, and a missing secret is a clear error."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.server.settings import database_from_url, envbool, envlist

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(tmp_path, **extra) -> dict:
    """A clean environment, as a systemd unit gives it: nothing inherited from the test run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "carrefour.mairie19.paris.example",
        "CSRF_TRUSTED_ORIGINS": "https://carrefour.mairie19.paris.example",
        "PUBLIC_BASE_URL": "https://carrefour.mairie19.paris.example",
        "CARREFOUR_DATA_DIR": str(tmp_path / "data"),
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.server", *args], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )


def test_deploy_checks_pass_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_pass_with_the_secret_in_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_checks_catch_a_weakened_production(tmp_path):
    """The check above can fail: turning HTTPS redirection off is a deploy warning."""
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_missing_secret_key_is_a_clear_error(tmp_path):
    result = manage(production_env(tmp_path, SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_a_secret_key(tmp_path):
    result = manage(production_env(tmp_path, SECRET_KEY=None, DEBUG="1"), "check")
    assert result.returncode == 0, result.stderr


def test_a_misspelt_boolean_is_refused(tmp_path):
    result = manage(production_env(tmp_path, DEBUG="maybe"), "check")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


# -- helpers, in process ---------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [("1", True), ("yes", True), ("ON", True),
                                            ("0", False), ("off", False), ("False", False)])
def test_envbool(monkeypatch, value, expected):
    monkeypatch.setenv("CARREFOUR_TEST_FLAG", value)
    assert envbool("CARREFOUR_TEST_FLAG", not expected) is expected


def test_envbool_default_and_error(monkeypatch):
    monkeypatch.delenv("CARREFOUR_TEST_FLAG", raising=False)
    assert envbool("CARREFOUR_TEST_FLAG", True) is True
    monkeypatch.setenv("CARREFOUR_TEST_FLAG", "oui")
    with pytest.raises(ValueError, match="CARREFOUR_TEST_FLAG"):
        envbool("CARREFOUR_TEST_FLAG", True)


def test_envlist_trims_and_drops_empties(monkeypatch):
    monkeypatch.setenv("CARREFOUR_TEST_LIST", " a.example , ,b.example,")
    assert envlist("CARREFOUR_TEST_LIST") == ["a.example", "b.example"]


def test_env_file_wins_over_value(monkeypatch, tmp_path):
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    monkeypatch.setenv("CARREFOUR_TEST_LIST", "from-env")
    monkeypatch.setenv("CARREFOUR_TEST_LIST_FILE", str(secret))
    assert envlist("CARREFOUR_TEST_LIST") == ["from-file"]


def test_postgres_url():
    db = database_from_url("postgres://carrefour:p%40ss%2Fw@db.internal:5433/carrefour_19")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "carrefour_19", "carrefour", "p@ss/w", "db.internal", "5433"
    )


def test_postgresql_scheme_without_port():
    db = database_from_url("postgresql://u@localhost/c")
    assert (db["NAME"], db["PORT"], db["PASSWORD"]) == ("c", "", "")


def test_sqlite_url_is_wal_and_immediate(tmp_path):
    path = tmp_path / "sub" / "carrefour.sqlite3"
    db = database_from_url(f"sqlite:///{path}")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(path)
    assert path.parent.is_dir()
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "redis://localhost", "carrefour.sqlite3"])
def test_unsupported_database_urls_are_refused(url):
    with pytest.raises(ValueError, match="not supported"):
        database_from_url(url)
