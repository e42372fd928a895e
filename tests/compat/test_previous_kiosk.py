"""A kiosk build one version behind keeps working against the current server.

The previous build is frozen as its contract (tests/compat/v1, written by
`python -m tests.compat.record` when it was released; docs/protocol.md, Compatibility):
the OpenAPI document it was built against and every HTTP exchange it makes in a whole
scenario. Here the exchanges are replayed, as they were sent, against the CURRENT server
(a fresh database with the demo content, the demo kiosk's token) and each answer must have
the same status, validate against the FROZEN schema of its operation, and still hold every
field the old client read, with the same type. New fields and new content kinds are fine:
the old parser ignores them (tests/sync/test_transport_kinds.py, tests/domain).

No git history is needed: the contract is plain files in the checkout.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from kiosk.server.launcher import LocalServer
from tests.compat import contract
from tests.conftest import demo_data
from tests.support.patience import GUARD, LIVE_TIMEOUT

PREVIOUS = "v1"  # the protocol folder of the kiosk build one version behind
OPENAPI, STEPS = contract.load(PREVIOUS)
EXCHANGES = [i for i, step in enumerate(STEPS) if "request" in step]


@contextmanager
def current_server(data_dir: Path) -> Iterator[LocalServer]:
    """The current server with the demo content, like tests/support/servers.demo_server but
    on SQLite always, migrated and loaded in one process and served by one worker (the
    replay is sequential): a few seconds less on a busy machine."""
    server = LocalServer(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'db.sqlite3'}",
                         workers=1, threads=4)
    prepared: list[BaseException] = []

    def prepare() -> None:
        try:
            server.manage("shell", "-c", "from django.core.management import call_command\n"
                          "call_command('migrate', interactive=False, verbosity=0)\n"
                          "call_command('load_demo')\n")
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            prepared.append(exc)

    try:
        # The server boots (imports, /health answers without the database) while the
        # database is migrated and loaded: no request of the replay is sent before both.
        server.env()  # writes the secret key file once, before the two processes read it
        preparing = threading.Thread(target=prepare, name="compat-prepare")
        preparing.start()
        try:
            server.start(timeout=GUARD)
        finally:
            preparing.join()
        if prepared:
            raise prepared[0]
        server.kiosk_token = demo_data()["kiosks"][0]["token"]  # as demo_server() does
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """Every step of the transcript done against the current server: {step index: answer}
    (an answer: status, lower-case headers, JSON body or None, raw bytes; or the error that
    stopped the step), and the server's current OpenAPI document."""
    answers: dict[int, dict | None] = {}
    with current_server(tmp_path_factory.mktemp("compat-server")) as server:
        session = requests.Session()
        session.headers.clear()  # only what the old kiosk sent
        resolved = [None] * len(STEPS)
        for i, step in enumerate(STEPS):
            if "setup" in step:
                contract.run_setup(server, step)
                continue
            try:
                request = contract.render(step["request"], resolved, server.kiosk_token)
                body = request.get("json")
                response = session.request(
                    request["method"], f"{server.url}{request['path']}",
                    params=request["query"], headers=request["headers"],
                    data=None if body is None else json.dumps(body), timeout=LIVE_TIMEOUT)
            except Exception as exc:  # a reference that no longer resolves, a dead server
                answers[i] = {"error": f"{exc.__class__.__name__}: {exc}"}
                continue
            answer = {
                "status": response.status_code,
                "headers": {k.lower(): v for k, v in response.headers.items()},
                "body": response.json() if response.headers.get("Content-Type", "")
                .startswith("application/json") and response.content else None,
                "content": response.content,
                "path": request["path"],
            }
            answers[i] = resolved[i] = answer
            if response.status_code == 304 and request["path"] == "/api/v1/content":
                # What the old kiosk keeps from "nothing changed": its cursor and ETag.
                resolved[i] = {**answer, "body": {"cursor": request["query"].get("since")},
                               "headers": {"etag": request["headers"].get("If-None-Match")}}
        current = session.get(f"{server.url}/api/v1/openapi.json", timeout=LIVE_TIMEOUT).json()
    return answers, current


def problems_with(recorded: dict, answer: dict, openapi: dict = OPENAPI) -> list[str]:
    """What the old kiosk would trip on in `answer`, given what it relied on (`recorded`)."""
    if "error" in answer:
        return [answer["error"]]
    if _nothing_changed_instead_of_nothing_to_add(recorded, answer):
        return []
    if answer["status"] != recorded["status"]:
        return [f"status {answer['status']}, the old kiosk got {recorded['status']}"]
    problems = [f"header {h} missing" for h in recorded.get("headers", {})
                if h.lower() not in answer["headers"]]
    operation = tuple(recorded["operation"])
    if recorded.get("documented", True):
        problems += contract.schema_problems(openapi, operation, answer["status"], answer["body"])
    if "shape" in recorded:
        if answer["body"] is None:
            problems.append("no JSON body any more")
        else:
            problems += contract.shape_problems(recorded["shape"], answer["body"],
                                                all_kinds=recorded.get("full_snapshot", False))
    if "bytes" in recorded:
        sha256 = answer["path"].rsplit("/", 1)[-1]
        if hashlib.sha256(answer["content"]).hexdigest() != sha256:
            problems.append("the bytes do not hash to the sha256 asked")
    return problems


def _nothing_changed_instead_of_nothing_to_add(recorded: dict, answer: dict) -> bool:
    """A 304 where the old server sent a delta with no item (only deletions of ids the kiosk
    never held, e.g. a resident's pending proposal): the old kiosk's sync treats both as
    "nothing to show"; the 304 is in the frozen document for this operation."""
    return (tuple(recorded["operation"]) == ("/api/v1/content", "get")
            and recorded["status"] == 200 and answer["status"] == 304
            and recorded.get("shape", {}).get("object", {}).get("items") == {"array": None}
            and "304" in OPENAPI["paths"]["/api/v1/content"]["get"]["responses"])


@pytest.mark.parametrize("index", EXCHANGES,
                         ids=[f"{i:02d}-{STEPS[i]['request']['method']}-"
                              f"{STEPS[i]['request']['path'].split('/api/v1/')[-1].split('/')[0]}"
                              for i in EXCHANGES])
def test_the_old_kiosk_gets_what_it_relies_on(replay, index):
    answers, _ = replay
    step = STEPS[index]
    problems = problems_with(step["response"], answers[index])
    assert not problems, f"step {index} ({step['step']}): " + "; ".join(problems[:20])


def test_the_transcript_covers_the_whole_protocol():
    """The scenario the contract was recorded from reaches every kiosk operation."""
    used = {tuple(STEPS[i]["response"]["operation"]) for i in EXCHANGES}
    kiosk_operations = {(path, method) for path, item in OPENAPI["paths"].items()
                        for method in item
                        if path.startswith("/api/v1/") and not path.endswith(("/health",))}
    assert kiosk_operations <= used, sorted(kiosk_operations - used)
    statuses = {(tuple(STEPS[i]["response"]["operation"]), STEPS[i]["response"]["status"])
                for i in EXCHANGES}
    for expected in [(("/api/v1/content", "get"), 304), (("/api/v1/tickets", "post"), 200),
                     (("/api/v1/tickets", "post"), 201)]:
        assert expected in statuses
    offline = [STEPS[i] for i in EXCHANGES if "offline" in (STEPS[i]["request"].get("json") or {})]
    assert offline and offline[0]["response"]["status"] == 201
    keys = [STEPS[i]["request"]["headers"].get("Idempotency-Key") for i in EXCHANGES]
    assert any(keys.count(k) == 2 for k in keys if k), "no replay of an Idempotency-Key"


def _resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = openapi["components"]["schemas"][name]
    return schema


def test_the_current_server_asks_nothing_new_of_the_old_kiosk(replay):
    """Every operation the old kiosk calls is still published, with no new required
    parameter, header or body field (it could not send them)."""
    _, current = replay
    for path, method in sorted({tuple(STEPS[i]["response"]["operation"]) for i in EXCHANGES}):
        assert method in current["paths"].get(path, {}), f"{method.upper()} {path} is gone"
        old, new = OPENAPI["paths"][path][method], current["paths"][path][method]
        required = {(p["in"], p["name"]) for p in new.get("parameters", []) if p.get("required")}
        known = {(p["in"], p["name"]) for p in old.get("parameters", [])}
        assert required <= known, f"{method.upper()} {path}: new required {required - known}"
        if "requestBody" in new:
            new_body = _resolve(current, new["requestBody"]["content"]["application/json"]["schema"])
            old_body = _resolve(OPENAPI, old["requestBody"]["content"]["application/json"]["schema"])
            extra = set(new_body.get("required", [])) - set(old_body.get("properties", {}))
            assert not extra, f"{method.upper()} {path}: body now requires {extra}"


def old_parser_problems(body: dict) -> list[str]:
    """What the previous build's content parser (its frozen copy, tests/compat/v1/parser)
    refuses in a content answer, as its store applies a delta (kiosk/localstore): one bad
    item of a kind it knows rejects the whole delta; kinds it does not know are skipped."""
    parser = importlib.import_module(f"tests.compat.{PREVIOUS}.parser.content")
    problems = []
    for i, item in enumerate(body["items"]):
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            problems.append(f"items[{i}]: not an object with a kind")
        elif item["kind"] in parser.KINDS:
            try:
                parser.parse_item(item["kind"], item.get("data"))
            except parser.ContentError as exc:
                problems.append(f"items[{i}] {item['kind']} "
                                f"{(item.get('data') or {}).get('id')!r}: {exc}")
    for i, item in enumerate(body["deleted"]):
        if not (isinstance(item, dict) and isinstance(item.get("kind"), str)
                and isinstance(item.get("id"), str)):
            problems.append(f"deleted[{i}]: must name a kind and an id")
    return problems


def test_the_old_parser_accepts_the_current_content(replay):
    """Value rules the schema cannot see (a slug, a known choice, a limit): every content
    answer of the replay goes through the previous build's own parser."""
    answers, _ = replay
    checked = 0
    for i in EXCHANGES:
        answer = answers[i]
        if tuple(STEPS[i]["response"]["operation"]) == ("/api/v1/content", "get") \
                and answer.get("status") == 200 and answer.get("body"):
            problems = old_parser_problems(answer["body"])
            assert not problems, f"step {i}: the previous kiosk rejects the delta: {problems[:10]}"
            checked += 1
    assert checked >= 2  # the full snapshot and at least one delta


# -- the checker has teeth -----------------------------------------------------------------

def test_a_value_the_old_parser_refuses_is_caught(replay):
    """A well-typed value the old parser refuses (a pole colour not #RRGGBB) passes the
    schema and the shape, not the frozen parser; an unknown kind is skipped."""
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    pole = next(i for i in answer["body"]["items"] if i["kind"] == "pole")
    pole["data"]["color"] = "teal"
    answer["body"]["items"].append({"kind": "hologram", "data": "anything"})
    assert problems_with(recorded, answer) == []
    problems = old_parser_problems(answer["body"])
    assert len(problems) == 1 and "color" in problems[0], problems


def _replayed(replay, method: str, path: str, status: int) -> tuple[dict, dict]:
    answers, _ = replay
    for i in EXCHANGES:
        recorded = STEPS[i]["response"]
        if (STEPS[i]["request"]["method"], tuple(recorded["operation"])[0], recorded["status"]) \
                == (method, path, status) and "error" not in answers[i]:
            return recorded, copy.deepcopy(answers[i])
    raise LookupError(f"no replayed {method} {path} {status}")


def test_a_changed_ticket_shape_is_caught(replay):
    recorded, answer = _replayed(replay, "POST", "/api/v1/tickets", 201)
    assert problems_with(recorded, answer) == []
    answer["body"]["number"] = 42  # a number instead of "C042"
    del answer["body"]["phone_url"]
    problems = problems_with(recorded, answer)
    assert any("number" in p for p in problems) and any("phone_url" in p for p in problems)


def test_a_renamed_content_field_is_caught(replay):
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    assert recorded.get("full_snapshot") and problems_with(recorded, answer) == []
    answer["body"]["next_cursor"] = answer["body"].pop("cursor")
    assert any("cursor" in p for p in problems_with(recorded, answer))


def test_a_field_missing_from_a_content_item_is_caught(replay):
    """Content item data are free-form in the OpenAPI: the recorded shape guards them."""
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    read = recorded["shape"]["object"]["items"]["by_kind"]["service"]["object"]["data"]["object"]
    assert {"id", "name"} <= set(read)  # what the old parser read of a service
    service = next(i for i in answer["body"]["items"] if i["kind"] == "service")
    service["data"].pop("name")
    problems = problems_with(recorded, answer)
    assert problems and all("<service>" in p and "name" in p for p in problems), problems


def test_a_kind_gone_from_the_snapshot_is_caught(replay):
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    answer["body"]["items"] = [i for i in answer["body"]["items"] if i["kind"] != "pole"]
    assert any("'pole'" in p for p in problems_with(recorded, answer))


def test_a_changed_status_and_a_lost_etag_are_caught(replay):
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    del answer["headers"]["etag"]
    assert "header ETag missing" in problems_with(recorded, answer)
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 304)
    answer["status"] = 200
    assert problems_with(recorded, answer)


def test_additions_are_not_breaks(replay):
    """New fields and a new content kind (the extension rule): the old kiosk ignores them."""
    recorded, answer = _replayed(replay, "GET", "/api/v1/content", 200)
    answer["body"]["items"].append({"kind": "hologram", "data": {"id": "x", "beam": 3}})
    answer["body"]["deleted"].append({"kind": "hologram", "id": "y"})
    answer["body"]["compression"] = "zstd"
    for item in answer["body"]["items"]:
        item["data"]["published"] = True
    assert problems_with(recorded, answer) == []
    recorded, answer = _replayed(replay, "POST", "/api/v1/tickets", 201)
    answer["body"]["qr"] = "data:image/png;base64,"
    assert problems_with(recorded, answer) == []


def test_the_frozen_schema_still_bites(replay):
    """The frozen OpenAPI rejects what the old client could not read (here an unknown
    ticket status), even where the recorded shape alone would not see it."""
    recorded, answer = _replayed(replay, "GET", "/api/v1/tickets/{ticket_id}", 200)
    answer["body"]["status"] = "teleported"
    problems = problems_with(recorded, answer)
    assert problems and all("status" in p for p in problems), problems


def test_the_contract_is_plain_files():
    """A shallow clone has it: no git object is read at test time."""
    folder = Path(contract.HERE, PREVIOUS)
    assert {"openapi.json", "transcript.json"} <= {p.name for p in folder.iterdir()}
    assert OPENAPI["info"]["version"] == "1" and len(EXCHANGES) >= 30
