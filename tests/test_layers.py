"""The layer rules of DESIGN.md, checked on the source with `ast` (imports anywhere in a file)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"


def imported_modules(source: str) -> set[str]:
    """Every absolute module a source imports, at any depth (functions, try blocks...)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def offenders(files: list[Path], banned: set[str]) -> list[str]:
    """'path: module' for each import of a banned package (or a banned dotted prefix)."""
    out = []
    for path in files:
        for module in imported_modules(path.read_text(encoding="utf-8")):
            if top(module) in banned or any(
                module == b or module.startswith(b + ".") for b in banned
            ):
                out.append(f"{path.relative_to(ROOT)}: {module}")
    return sorted(out)


def files_outside(*excluded: str) -> list[Path]:
    return [p for p in python_files(KIOSK)
            if not any(p.is_relative_to(KIOSK / e) for e in excluded)]


# -- the scanner itself ----------------------------------------------------------------


def test_the_scanner_sees_imports_everywhere():
    source = (
        "import os, kivy.app as app\n"
        "from django.db import models\n"
        "def f():\n"
        "    import requests\n"
        "    try:\n"
        "        from ninja import Router\n"
        "    except ImportError:\n"
        "        pass\n"
        "from . import sibling\n"
    )
    assert imported_modules(source) == {"os", "kivy.app", "django.db", "requests", "ninja"}


def test_offenders_flags_banned_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    bad = tmp_path / "bad.py"
    bad.write_text("from kiosk.server.content import models\nimport djangoish\n")
    assert offenders([bad], {"kiosk.server"}) == ["bad.py: kiosk.server.content"]
    assert offenders([bad], {"django"}) == []  # djangoish is not django


# -- the layers ------------------------------------------------------------------------


def test_the_layers_exist():
    for layer in ("domain", "localstore", "sync", "server", "ui"):
        assert python_files(KIOSK / layer), layer


def test_domain_is_pure():
    banned = {"kivy", "django", "ninja", "requests", "sqlite3", "httpx", "urllib3", "socket"}
    assert offenders(python_files(KIOSK / "domain"), banned) == []


def test_domain_does_not_reach_up_the_layers():
    banned = {"kiosk.localstore", "kiosk.sync", "kiosk.ui", "kiosk.server", "kiosk.devices",
              "kiosk.config"}
    assert offenders(python_files(KIOSK / "domain"), banned) == []


@pytest.mark.parametrize("layer", ["sync", "localstore"])
def test_sync_and_localstore_are_headless(layer):
    banned = {"kivy", "django", "ninja", "kiosk.ui", "kiosk.server"}
    assert offenders(python_files(KIOSK / layer), banned) == []


def test_localstore_does_no_network():
    assert offenders(python_files(KIOSK / "localstore"), {"requests", "kiosk.sync"}) == []


def test_only_the_ui_imports_kivy():
    assert offenders(files_outside("ui"), {"kivy", "kiosk.ui"}) == []


def test_only_the_server_imports_django_and_ninja():
    assert offenders(files_outside("server"), {"django", "ninja", "kiosk.server"}) == []


def test_the_server_never_imports_kivy_or_the_kiosk_side():
    banned = {"kivy", "kiosk.ui", "kiosk.sync", "kiosk.localstore"}
    assert offenders(python_files(KIOSK / "server"), banned) == []


# -- pyproject extras ------------------------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_names(requirements: list[str]) -> set[str]:
    return {_NAME.match(r).group(1).lower().replace("_", "-") for r in requirements}


@pytest.fixture(scope="module")
def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]


def test_requirement_names():
    assert requirement_names(["kivy[base]==2.3.1", "Django>=5.2,<5.3", "psycopg[binary]>=3.2",
                              "python_bidi"]) == {"kivy", "django", "psycopg", "python-bidi"}


def test_the_kiosk_extra_needs_no_django(project):
    kiosk = requirement_names(project["optional-dependencies"]["kiosk"])
    assert "kivy" in kiosk and "requests" in kiosk
    assert not kiosk & {"django", "django-ninja", "psycopg", "gunicorn"}


def test_the_server_extra_needs_no_kivy(project):
    server = requirement_names(project["optional-dependencies"]["server"])
    assert "django" in server and "django-ninja" in server
    assert not server & {"kivy", "kivy-garden"}


def test_the_shared_dependencies_carry_no_framework(project):
    shared = requirement_names(project["dependencies"])
    assert not shared & {"kivy", "django", "django-ninja", "requests"}
