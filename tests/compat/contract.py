"""The consumer-driven contract of the kiosk with the server (protocol v1), shared by the
recorder (`python -m tests.compat.record`) and the replay test (test_previous_kiosk.py).

A transcript is a list of steps, each either a server-side `setup` (done with the server's
own management shell, e.g. an agent uploads a pictogram) or an `exchange`: one HTTP request
exactly as the kiosk build sent it, and what the kiosk relies on in the answer:

    {"step": "first sync: full content snapshot",
     "request": {"method": "GET", "path": "/api/v1/content", "query": {...},
                 "headers": {"Authorization": "Bearer {{token}}", ...}, "json": {...}},
     "response": {"status": 200, "headers": {"ETag": true}, "operation": ["/api/v1/content",
                  "get"], "shape": {...}, "full_snapshot": true}}

(an asset's answer has `"bytes"` instead of a shape: they must hash to the sha256 asked; an
answer the OpenAPI does not document, the 401 of a revoked token, has `"documented": false`.)

Values that the server chose in an earlier answer (a cursor, an ETag, a ticket id...) are
references, `{{ref:<step index>:<where>}}`, resolved against the answers of the replay;
dates are relative to the day of the replay (`{{date:+0}}`), instants are `{{now}}`.

A shape is what the client can read: an object's fields (each with its shape), a list's
element shape (for content items: one shape per `kind`, the fields every item of that kind
had), a leaf's JSON types. The replay accepts more (new fields, new kinds: the kiosk ignores
them, tests/sync/test_transport_kinds.py), never less.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
CURRENT = "v1"  # the protocol the current kiosk build speaks; its contract lives in HERE/v1

SERVER_TZ = ZoneInfo("Europe/Paris")  # settings.TIME_ZONE: leases are of the server's day
REF = re.compile(r"\{\{ref:(\d+):(.+?)\}\}(?!\})")
DATE = re.compile(r"\{\{date:([+-]\d+)\}\}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")
TOKEN = "{{token}}"
# Request headers that carry protocol meaning (others: whatever `requests` adds).
REQUEST_HEADERS = ("Authorization", "Idempotency-Key", "If-None-Match", "Accept-Encoding",
                   "Content-Type", "X-Carrefour-Protocol", "User-Agent")
# Response headers the kiosk reads: ETag (sent back as If-None-Match). Recorded as present.
RESPONSE_HEADERS = ("ETag",)


def server_today() -> dt.date:
    return dt.datetime.now(SERVER_TZ).date()


def load(version: str = CURRENT) -> tuple[dict, list[dict]]:
    """(frozen OpenAPI document, transcript) of a kiosk build's protocol folder."""
    folder = HERE / version
    openapi = json.loads((folder / "openapi.json").read_text(encoding="utf-8"))
    transcript = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))
    return openapi, transcript["steps"]


# -- shapes ---------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_of(value: Any) -> Any:
    """The shape of a JSON value (see the module docstring)."""
    if isinstance(value, dict):
        return {"object": {key: shape_of(item) for key, item in sorted(value.items())}}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and isinstance(v.get("kind"), str) for v in value):
            kinds: dict[str, Any] = {}
            for v in value:
                kinds[v["kind"]] = merge(kinds[v["kind"]], shape_of(v)) if v["kind"] in kinds \
                    else shape_of(v)
            return {"by_kind": dict(sorted(kinds.items()))}
        element = None
        for v in value:
            element = shape_of(v) if element is None else merge(element, shape_of(v))
        return {"array": element}
    return [json_type(value)]


def merge(a: Any, b: Any) -> Any:
    """What two values of one place have in common: the fields both have, either's types."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(set(a) | set(b))
    if isinstance(a, list) or isinstance(b, list):  # a leaf and a structure: one was null
        leaf, other = (a, b) if isinstance(a, list) else (b, a)
        return other if leaf == ["null"] else leaf
    if "object" in a and "object" in b:
        fields = a["object"].keys() & b["object"].keys()
        return {"object": {k: merge(a["object"][k], b["object"][k]) for k in sorted(fields)}}
    if "by_kind" in a and "by_kind" in b:
        kinds = {**a["by_kind"], **b["by_kind"]}
        for k in a["by_kind"].keys() & b["by_kind"].keys():
            kinds[k] = merge(a["by_kind"][k], b["by_kind"][k])
        return {"by_kind": dict(sorted(kinds.items()))}
    if "array" in a and "array" in b:
        if a["array"] is None or b["array"] is None:
            return {"array": a["array"] if b["array"] is None else b["array"]}
        return {"array": merge(a["array"], b["array"])}
    return a  # different structures: keep the first (the check reports the other)


def shape_problems(expected: Any, value: Any, where: str = "$", all_kinds: bool = False) -> list[str]:
    """How `value` falls short of the recorded shape `expected` ([] when it does not).
    More is fine: fields and kinds the old client does not know, it ignores. A null where
    the recording had a value is left to the frozen OpenAPI (it says what may be null).
    `all_kinds` (a full snapshot): every kind of content item recorded must still come."""
    if value is None:
        return []
    if isinstance(expected, list):  # a leaf
        actual = json_type(value)
        if "null" in expected and len(expected) == 1:
            return []  # only ever seen null: the recording says nothing of its type
        if actual in expected or (actual == "integer" and "number" in expected):
            return []
        return [f"{where}: {actual}, the old client read {'|'.join(expected)}"]
    if "object" in expected:
        if not isinstance(value, dict):
            return [f"{where}: {json_type(value)}, the old client read an object"]
        problems = []
        for key, sub in expected["object"].items():
            if key not in value:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += shape_problems(sub, value[key], f"{where}.{key}", all_kinds)
        return problems
    if not isinstance(value, list):
        return [f"{where}: {json_type(value)}, the old client read a list"]
    if "array" in expected:
        if expected["array"] is None:
            return []
        problems = []
        for i, item in enumerate(value):
            problems += shape_problems(expected["array"], item, f"{where}[{i}]", all_kinds)
        return problems
    problems = []
    seen = set()
    for i, item in enumerate(value):
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in expected["by_kind"]:
            continue  # a kind the old client does not know: ignored by its parser
        seen.add(kind)
        problems += shape_problems(expected["by_kind"][kind], item, f"{where}[{i}]<{kind}>",
                                   all_kinds)
    if all_kinds:
        for kind in sorted(expected["by_kind"].keys() - seen):
            problems.append(f"{where}: no item of kind {kind!r} any more")
    return problems


# -- references and rendering ------------------------------------------------------------

def lookup(answer: dict, where: str) -> Any:
    """`body.a.0.b` in an answer's JSON body, or `header.ETag`."""
    head, _, rest = where.partition(".")
    if head == "header":
        return answer["headers"].get(rest.lower())
    value: Any = answer["body"]
    for part in re.findall(r"\{[^}]*\}|[^.]+", rest):
        if part.startswith("{"):  # {kind:id}: the content item of that kind and id
            kind, _, item_id = part[1:-1].partition(":")
            value = next(v for v in value if v.get("kind") == kind
                         and str((v.get("data") or {}).get("id") or v.get("id")) == item_id)
        else:
            value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def render(template: Any, answers: list[dict | None], token: str,
           today: dt.date | None = None, now: str | None = None) -> Any:
    """The request value to send in a replay: references resolved against `answers` (the
    replay's answers so far, by step index), dates and instants made current."""
    today = today or server_today()
    now = now or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    if isinstance(template, dict):
        return {k: render(v, answers, token, today, now) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, answers, token, today, now) for v in template]
    if not isinstance(template, str):
        return template
    if template == "{{now}}":
        return now

    def ref(match: re.Match) -> str:
        answer = answers[int(match.group(1))]
        if answer is None:
            raise LookupError(f"exchange {match.group(1)} has no answer to refer to")
        return str(lookup(answer, match.group(2)))

    text = REF.sub(ref, template.replace(TOKEN, token))
    return DATE.sub(lambda m: (today + dt.timedelta(days=int(m.group(1)))).isoformat(), text)


# -- the frozen OpenAPI ------------------------------------------------------------------

def operation_of(openapi: dict, method: str, path: str) -> tuple[str, str] | None:
    """The (templated path, method) of the OpenAPI operation serving `method path`."""
    for template, item in openapi["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, method.lower()
    return None


def documented(openapi: dict, operation: tuple[str, str], status: int) -> bool:
    responses = openapi["paths"][operation[0]][operation[1]]["responses"]
    return str(status) in responses or "default" in responses


def response_schema(openapi: dict, operation: tuple[str, str], status: int) -> dict | None:
    """The JSON schema the frozen document gives the answer `status` of `operation` (with the
    document's components beside it, so that its $refs resolve); None when it gives none."""
    responses = openapi["paths"][operation[0]][operation[1]]["responses"]
    answer = responses.get(str(status)) or responses.get("default")
    if answer is None:
        raise KeyError(f"{operation[1].upper()} {operation[0]}: status {status} not documented")
    schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return {**copy.deepcopy(schema), "components": openapi.get("components", {})}


def schema_problems(openapi: dict, operation: tuple[str, str], status: int,
                    body: Any) -> list[str]:
    """Why `body` does not validate against the frozen schema of that answer ([] if it
    does). Content items of a kind the frozen document does not know are left out first:
    the old client skips them (the one extension rule of protocol v1)."""
    import jsonschema_rs

    try:
        schema = response_schema(openapi, operation, status)
    except KeyError as exc:
        return [str(exc)]
    if schema is None:
        return []  # no JSON promised: bytes (assets) or empty (304)
    body = without_unknown_kinds(openapi, body)
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.instance_path)) or '$'}: {e.message}"
            for e in validator.iter_errors(body)]


def known_kinds(openapi: dict) -> set[str]:
    item = openapi.get("components", {}).get("schemas", {}).get("ContentItem", {})
    return set(item.get("properties", {}).get("kind", {}).get("enum", []))


def without_unknown_kinds(openapi: dict, body: Any) -> Any:
    kinds = known_kinds(openapi)
    if not kinds or not isinstance(body, dict):
        return body
    body = dict(body)
    for key in ("items", "deleted"):
        if isinstance(body.get(key), list):
            body[key] = [i for i in body[key]
                         if not (isinstance(i, dict) and isinstance(i.get("kind"), str)
                                 and i["kind"] not in kinds)]
    return body


# -- server-side setup -------------------------------------------------------------------

SETUPS = {
    # An agent uploads a pictogram in the back office (a new `asset` content item).
    "add_asset": (
        "import base64\n"
        "from kiosk.server.content.assets import save_asset\n"
        "from kiosk.server.content.models import Site\n"
        "step = {step!r}\n"
        "save_asset(Site.objects.get(slug=step['site']), step['slug'], step['kind'],\n"
        "           base64.b64decode(step['base64']))\n"
    ),
}


def run_setup(server, step: dict) -> None:
    """Do a transcript's `setup` step on a running LocalServer (its management shell)."""
    code = SETUPS[step["setup"]].format(step={k: v for k, v in step.items() if k != "at"})
    server.manage("shell", "-c", code)
