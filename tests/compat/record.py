"""Record the contract of the current kiosk build: `.venv/bin/python -m tests.compat.record`.

Starts the server (demo content, SQLite, a fresh data directory), drives the REAL kiosk
code (kiosk/sync: SyncEngine, Transport, TicketDesk, the outbox of kiosk/localstore) through
a whole scenario, and writes, in tests/compat/<version>/ (default v1):

- openapi.json: the OpenAPI document the server publishes at /api/v1/openapi.json;
- transcript.json: every HTTP exchange the kiosk made, with what it relies on in each answer.

Run it when a kiosk release is cut (docs/protocol.md, Compatibility), never to make the
compatibility test pass: the files are the contract of a build that is in the field.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter

from tests.compat import contract
from tests.support.patience import LIVE_TIMEOUT

MIN_REF_LENGTH = 8  # shorter strings are references only under the same key (cursor...)
ALIASES = {"since": "cursor"}  # a query parameter and the answer field it echoes


def pictogram_png(side: int = 64) -> bytes:
    """A small valid square PNG (an agent's upload in the scenario); same bytes every time."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes((0x1E, 0x5A, 0xA0)) * side
    raw = zlib.compress(row * side, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


class Recorder:
    """Every request any `requests` session sends while active, with its answer."""

    def __init__(self) -> None:
        self.exchanges: list[dict] = []
        self.step = ""
        self._original = HTTPAdapter.send

    def __enter__(self) -> Recorder:
        recorder = self

        def send(adapter, request, *args, **kwargs):
            response = recorder._original(adapter, request, *args, **kwargs)
            recorder.capture(request, response)
            return response

        HTTPAdapter.send = send
        return self

    def __exit__(self, *exc) -> None:
        HTTPAdapter.send = self._original

    def capture(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        parts = urlsplit(request.url)
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        content = response.content  # read now: iter_content() then reuses it
        self.exchanges.append({
            "step": self.step,
            "method": request.method,
            "path": parts.path,
            "query": dict(parse_qsl(parts.query)),
            "headers": {k: v for k, v in request.headers.items() if k in contract.REQUEST_HEADERS},
            "json": json.loads(body) if body else None,
            "status": response.status_code,
            "response_headers": {k.lower(): v for k, v in response.headers.items()},
            "content_type": response.headers.get("Content-Type", ""),
            "content": content,
        })


def run_scenario(server, work: Path) -> tuple[list[dict], list[dict]]:
    """(setup steps, raw exchanges) of one kiosk's life against `server`."""
    from kiosk import __version__
    from kiosk.localstore import LocalStore
    from kiosk.sync.desk import TicketDesk
    from kiosk.sync.engine import SyncEngine
    from kiosk.sync.transport import Transport

    today = contract.server_today().isoformat()  # the server's day: leases are of that day
    store = LocalStore(work / "kiosk" / "kiosk.sqlite3")
    transport = Transport(server.url, server.kiosk_token, timeout=LIVE_TIMEOUT)

    def heartbeat(report) -> dict:  # as kiosk/ui/app.py builds it
        return {"version": __version__, "cursor": store.content_cursor(),
                "outbox_depth": store.outbox_depth(), "printer": {"state": "ok", "detail": ""},
                "last_error": report.error[:300] if report.error else None}

    engine = SyncEngine(store, transport, heartbeat=heartbeat, heartbeat_interval=3600,
                        lease_size=2, lease_low=1, today=lambda: today)
    setups: list[dict] = []
    with Recorder() as rec:
        rec.step = "first sync: full snapshot, leases for offline tickets, heartbeat"
        report = engine.sync_once()
        assert report.online and report.content_changed and report.leased, report
        first_cursor = store.content_cursor()

        png = pictogram_png()
        setups.append({"at": len(rec.exchanges), "setup": "add_asset", "site": "paris-19",
                       "slug": "compat-pictogram", "kind": "pictogram",
                       "base64": base64.b64encode(png).decode()})
        contract.run_setup(server, setups[-1])

        rec.step = "long-poll: the content changed since the kiosk's cursor"
        assert transport.wait_for_changes(first_cursor, wait=1.0).changed

        rec.step = "delta sync with cursor and ETag: the new asset item, then its file"
        report = engine.sync_once()
        assert report.online and report.content_changed, report
        assert store.assets(), "the asset item did not reach the kiosk"

        rec.step = "delta sync, nothing changed: 304"
        report = engine.sync_once()
        assert report.online and not report.content_changed and report.bytes_received == 0

        rec.step = "long-poll: nothing changes within the wait"
        assert not transport.wait_for_changes(store.content_cursor(), wait=0.5).changed

        services = [s for s in store.services() if s.ticketing]
        service = services[0].id
        rec.step = "ticket: the visitor takes one (Idempotency-Key)"
        desk = TicketDesk(transport, store=store, today=lambda: today)
        ticket = desk.take_ticket(service, language="en")
        key = rec.exchanges[-1]["headers"]["Idempotency-Key"]
        rec.step = "ticket: the same request again (a retry after a lost answer)"
        again = transport.create_ticket(rec.exchanges[-1]["json"], key)
        assert again["id"] == ticket["id"]

        rec.step = "ticket status"
        transport.ticket_status(ticket["id"])
        rec.step = "queue status (waiting times on the service screens)"
        transport.queue_status()

        rec.step = "offline ticket uploaded through the outbox"
        dead = Transport("http://127.0.0.1:9", server.kiosk_token, timeout=0.5)
        offline = TicketDesk(dead, store=store, today=lambda: today, deadline=1.0,
                             pause=0.1).take_ticket(service)
        assert offline["offline"] and store.outbox_depth() == 1
        report = engine.sync_once()
        assert report.pushed == 1, report

        rec.step = "contribution (a resident's offer) uploaded through the outbox"
        tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
        store.enqueue("contribution", {
            "title": "Troc de graines", "category": "swap", "date": tomorrow, "description": "",
            "where": "", "contact": "", "contact_consent": False})
        report = engine.sync_once()
        assert report.pushed == 1, report

        rec.step = "call an agent"
        context = {"screen": "service", "service": service, "language": "fr"}  # ui/flows.py
        answer = transport.request_assistance(context, str(uuid.uuid4()))
        rec.step = "call an agent: its status"
        transport.assistance_status(answer["id"])

        rec.step = "heartbeat"
        engine.last_heartbeat = None
        engine.send_heartbeat(report)

        rec.step = "a ticket id the server does not know: 404"
        try:
            transport.ticket_status("X" * 22)
        except Exception:  # noqa: BLE001 - the kiosk maps it to TransportError
            pass
        rec.step = "a revoked token: 401"
        try:
            Transport(server.url, "revoked-token-0123456789", timeout=LIVE_TIMEOUT).get_content(None)
        except Exception:  # noqa: BLE001
            pass
    store.close()
    return setups, rec.exchanges


# -- from raw exchanges to the transcript ------------------------------------------------

REF_KEYS = {"cursor", "id", "day"}  # server-chosen values at the top of an answer


def _leaves(value: Any, path: str = "body"):
    """(where, key, value) of the values an answer chose that a later request may send back:
    `cursor`, `id`, `day` at the top of the body; any `sha256` (an asset item's file), its
    item named by kind and id rather than by position (`body.items.{asset:slug}.data.sha256`)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and v and (k == "sha256" or (path == "body" and k in REF_KEYS)):
                yield f"{path}.{k}", k, v
            elif isinstance(v, dict | list):
                yield from _leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            name = str(i)
            if isinstance(v, dict) and isinstance(v.get("kind"), str):
                item_id = (v.get("data") or {}).get("id") or v.get("id")
                name = f"{{{v['kind']}:{item_id}}}"
            yield from _leaves(v, f"{path}.{name}")


def templatize(exchanges: list[dict], setups: list[dict], token: str,
               today: dt.date) -> list[dict]:
    """The transcript's steps: the setups at their place, and each request with what an
    earlier answer gave (most recent first) as a reference to that step, the token, dates
    and instants as the placeholders contract.render() resolves."""
    index: list[tuple[int, str, str, str]] = []  # (step, where, key, value)

    def find(value: str, key: str) -> str | None:
        for number, where, found_key, found in reversed(index):
            if found == value and (len(value) >= MIN_REF_LENGTH
                                   or ALIASES.get(key, key) == found_key):
                return f"{{{{ref:{number}:{where}}}}}"
        return None

    def template(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: template(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [template(v, key) for v in value]
        if not isinstance(value, str):
            return value
        ref = find(value, key)
        if ref:
            return ref
        if contract.ISO_INSTANT.fullmatch(value):
            return "{{now}}"
        if contract.ISO_DATE.fullmatch(value):
            days = (dt.date.fromisoformat(value) - today).days
            return f"{{{{date:{days:+d}}}}}"
        return value

    steps: list[dict] = []
    pending = sorted(setups, key=lambda s: s["at"])
    for number, ex in enumerate(exchanges):
        while pending and pending[0]["at"] <= number:
            steps.append({k: v for k, v in pending.pop(0).items() if k != "at"})
        headers = dict(ex["headers"])
        if "Authorization" in headers:
            headers["Authorization"] = headers["Authorization"].replace(token, contract.TOKEN)
        if "If-None-Match" in headers:
            headers["If-None-Match"] = find(headers["If-None-Match"], "etag") or \
                headers["If-None-Match"]
        path = "/".join(find(seg, "") or seg if len(seg) >= MIN_REF_LENGTH else seg
                        for seg in ex["path"].split("/"))
        request = {"method": ex["method"], "path": path,
                   "query": {k: template(v, k) for k, v in ex["query"].items()},
                   "headers": headers}
        if ex["json"] is not None:
            request["json"] = template(ex["json"])
        position = len(steps)
        steps.append({"step": ex["step"], "request": request, "response": ex["answer"]})
        if ex["body"] is not None:
            index.extend((position, where, key, value) for where, key, value in _leaves(ex["body"]))
        if "etag" in ex["response_headers"]:
            index.append((position, "header.etag", "etag", ex["response_headers"]["etag"]))
    steps.extend({k: v for k, v in s.items() if k != "at"} for s in pending)
    return steps


def describe_answers(exchanges: list[dict], openapi: dict) -> None:
    """What the kiosk relies on in each answer: status, the operation, the shape of the JSON
    body (or the rule for bytes), the headers it reads."""
    for ex in exchanges:
        ex["body"] = None
        operation = contract.operation_of(openapi, ex["method"], ex["path"])
        assert operation, f"{ex['method']} {ex['path']} is not in the published OpenAPI"
        answer: dict = {"status": ex["status"], "operation": list(operation)}
        headers = {h: True for h in contract.RESPONSE_HEADERS if h.lower() in ex["response_headers"]}
        if headers:
            answer["headers"] = headers
        if ex["content_type"].startswith("application/json") and ex["content"]:
            ex["body"] = json.loads(ex["content"])
            answer["shape"] = contract.shape_of(ex["body"])
            if isinstance(ex["body"], dict) and ex["body"].get("full") is True:
                answer["full_snapshot"] = True  # every kind it held must still come
            if contract.documented(openapi, operation, ex["status"]):
                problems = contract.schema_problems(openapi, operation, ex["status"], ex["body"])
                assert not problems, (ex["method"], ex["path"], problems)
            else:  # e.g. 401 from the bearer auth: the kiosk reads only the status
                answer["documented"] = False
        elif ex["content"]:
            answer["bytes"] = "sha256 of the body = last path segment"
            assert hashlib.sha256(ex["content"]).hexdigest() == ex["path"].rsplit("/", 1)[1]
        ex["answer"] = answer


PARSER_ROOT = "kiosk/domain"
PARSER_ENTRY = "content.py"  # parse_item(), KINDS: what the kiosk accepts of a content item
_DOMAIN_IMPORT = re.compile(r"^from kiosk\.domain\.(\w+) import", re.MULTILINE)


def freeze_parser(folder: Path) -> list[str]:
    """Copy the kiosk's content parser (kiosk/domain/content.py and the domain modules it
    imports) to <folder>/parser, imports rewritten to the frozen copies: the old build's
    parser, to feed the current server's content to (test_previous_kiosk.py)."""
    source = contract.HERE.parent.parent / PARSER_ROOT
    target = folder / "parser"
    package = ".".join(target.relative_to(contract.HERE.parent.parent).parts)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (target / "__init__.py").write_text(
        f'"""Frozen copy of {PARSER_ROOT} (the content parser of the kiosk build of this '
        'contract), written by python -m tests.compat.record. Never edit it."""\n')
    todo, done = [PARSER_ENTRY[:-3]], []
    while todo:
        name = todo.pop()
        if name in done:
            continue
        text = (source / f"{name}.py").read_text(encoding="utf-8")
        todo += _DOMAIN_IMPORT.findall(text)
        text = _DOMAIN_IMPORT.sub(lambda m: f"from {package}.{m.group(1)} import", text)
        (target / f"{name}.py").write_text(
            f"# Frozen copy of {PARSER_ROOT}/{name}.py (tests/compat/record.py): never edit.\n"
            + text, encoding="utf-8")
        done.append(name)
    return sorted(done)


def fetch_openapi(server) -> dict:
    response = requests.get(f"{server.url}/api/v1/openapi.json", timeout=LIVE_TIMEOUT)
    response.raise_for_status()
    return response.json()


def main(argv: list[str] | None = None) -> int:
    from tests.support.servers import demo_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=contract.CURRENT,
                        help="the protocol folder to write under tests/compat (default v1)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write there instead (e.g. to compare the current server with "
                             "the frozen contract: diff -r)")
    parser.add_argument("--commit", default="",
                        help="the commit recorded from (default: this checkout's HEAD)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="carrefour-compat-") as tmp, \
            demo_server(Path(tmp) / "server", sqlite_only=True) as server:
        from kiosk import __version__ as kiosk_version

        today = contract.server_today()
        setups, exchanges = run_scenario(server, Path(tmp))
        openapi = fetch_openapi(server)
        describe_answers(exchanges, openapi)
        steps = templatize(exchanges, setups, server.kiosk_token, today)
    folder = args.out or contract.HERE / args.version
    folder.mkdir(parents=True, exist_ok=True)
    freeze_parser(folder)
    (folder / "openapi.json").write_text(
        json.dumps(openapi, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    transcript = {
        "about": "The HTTP exchanges of kiosk build protocol " + args.version + ", recorded by "
                 "python -m tests.compat.record (docs/protocol.md, Compatibility).",
        "recorded_from": args.commit or _git_head(),
        "kiosk_version": kiosk_version,
        "steps": steps,
    }
    (folder / "transcript.json").write_text(
        json.dumps(transcript, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    count = sum(1 for s in steps if "request" in s)
    print(f"{folder}: {count} exchanges, {len(steps) - count} setup steps, "
          f"{time.monotonic() - started:.1f} s")
    return 0


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=contract.HERE, text=True,
                              capture_output=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
