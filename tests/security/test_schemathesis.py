"""Property-based tests of the published API: schemathesis against the OpenAPI document of a
real server (gunicorn, demo content), with a valid kiosk token, on SQLite and, in make
test's `postgres` suite (DATABASE_URL set to PostgreSQL), on PostgreSQL: NUL bytes, lone
surrogates and deep JSON only hurt there.

Every check schemathesis has (the library's `--checks all`), positive and negative cases:
no 5xx; every answer conforms to the schema (status code declared, content type, body
shape, headers, the error shapes included); auth is enforced; invalid data is refused with
a 4xx; unsupported methods answer 405. "Schema-valid data is accepted" (positive data
acceptance) also takes a 422 as an answer: the server validates more than a schema can say
(a phone number must be a real French or international number and needs consent, an offline
number must be in one of the kiosk's leases, a contribution's date within a year) and
answers those with the declared 422 and its sentence.
Part of the cases use a real service id and the ids of tickets and assistance requests made
earlier in the run, so success paths (201, 200) are exercised, not only 404s.

Bounded: at most 25 examples per operation and mode, derandomized (the same cases every
run), about ten seconds in all. An operation with a known bug is marked xfail(strict=True)
with the bug in the reason; the mark comes off when the bug is fixed (the strict xfail then
fails, as a reminder)."""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("schemathesis")

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402

from tests.conftest import demo_data  # noqa: E402
from tests.support.patience import LIVE_TIMEOUT  # noqa: E402
from tests.support.servers import demo_server  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MAX_EXAMPLES = 25
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                      database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))

# "METHOD /path": reason. Empty: the API has no known bug.
KNOWN_BUGS: dict[str, str] = {}

# Refused by the server after reading (see the docstring); declared in the OpenAPI document.
SEMANTIC_REFUSALS = ["422"]

SERVICES = sorted(s["id"] for s in demo_data()["services"] if s.get("ticketing", True))
# A body each write must accept (201), sent once besides the fuzzed ones.
KNOWN_GOOD = {"POST /api/v1/tickets": {"service": SERVICES[0]},
              "POST /api/v1/assistance": {"language": "fr"}}


def operations() -> list[str]:
    """Every operation of the API, read from the object the server publishes; writes first,
    so that the reads can look up what the writes made."""
    from kiosk.server.api.views import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    labels = [f"{method.upper()} {path}" for path, item in schema["paths"].items()
              for method in item if method in ("get", "post", "put", "patch", "delete")]
    return sorted(labels, key=lambda label: (label.startswith("GET"), label))


def marked(label: str):
    if label in KNOWN_BUGS:
        return pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[label]))
    return label


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The limiter would answer 429 to the fuzzer's bursts: it has its own tests. The
    # database: PostgreSQL when DATABASE_URL names one (make test's postgres suite).
    with demo_server(tmp_path_factory.mktemp("schemathesis"),
                     extra_env={"RATELIMIT_ENABLED": "0"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def schema(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    accepted = schema.config.checks.positive_data_acceptance
    accepted.expected_statuses = [*accepted.expected_statuses, *SEMANTIC_REFUSALS]
    return schema


@pytest.fixture(scope="module")
def made() -> dict[str, list[str]]:
    """Ids the writes returned, for the reads: {"ticket_id": [...], "request_id": [...]}."""
    return {"ticket_id": [], "request_id": []}


def realistic(case, data, made) -> None:
    """Half of the cases get real ids instead of random strings."""
    if isinstance(case.body, dict) and "service" in case.body and data.draw(st.booleans()):
        case.body["service"] = data.draw(st.sampled_from(SERVICES))
    for name, ids in made.items():
        if case.path_parameters and name in case.path_parameters and ids \
                and data.draw(st.booleans()):
            case.path_parameters[name] = data.draw(st.sampled_from(ids))


def remember(label: str, response, made) -> None:
    if response.status_code in (200, 201) and label.startswith(("POST /api/v1/tickets",
                                                                  "POST /api/v1/assistance")):
        key = "ticket_id" if "/tickets" in label else "request_id"
        made[key].append(response.json()["id"])


def test_the_published_schema_is_valid_openapi(schema):
    assert schema.raw_schema["openapi"].startswith("3.")
    published = sorted(f"{op.ok().method.upper()} {op.ok().path}"
                       for op in schema.get_all_operations())
    assert published == sorted(operations())


@pytest.mark.parametrize("label", [marked(label) for label in operations()])
def test_operation_conforms_to_its_schema(schema, server, made, label):
    operation = schema.find_operation_by_label(label)
    auth = {"Authorization": f"Bearer {server.kiosk_token}"}
    statuses = set()

    @given(case=operation.as_strategy(), data=st.data())
    @HYPOTHESIS
    def check(case, data):
        realistic(case, data, made)
        # The kiosk's token as the run's explicit auth (the fuzzer also invents tokens):
        # the auth check then probes the operation without it and with a wrong one.
        response = case.call_and_validate(timeout=LIVE_TIMEOUT, headers=auth,
                                          checks=all_checks())
        statuses.add(response.status_code)
        remember(label, response, made)

    check()
    if label in KNOWN_GOOD:
        # The success path, once for sure, with a fresh key and every check: the fuzzer's
        # keys repeat (a key that got an answer refuses another body: 422), and whether one
        # of its cases succeeded depended on the run (none did in two runs after the
        # browser tests, 2026-12-07; the cause was not found).
        case = operation.Case(body=dict(KNOWN_GOOD[label]), media_type="application/json",
                              headers={"Idempotency-Key": str(uuid.uuid4())})
        response = case.call_and_validate(timeout=LIVE_TIMEOUT, headers=auth,
                                          checks=all_checks())
        statuses.add(response.status_code)
        remember(label, response, made)
        assert 201 in statuses, response.text  # the success path was exercised
    if label.startswith("GET /api/v1/tickets/") or label.startswith("GET /api/v1/assistance/"):
        assert {200, 404} <= statuses


@pytest.mark.parametrize("label", [marked(label) for label in operations()])
def test_invalid_requests_never_crash_the_server(schema, server, label):
    method, path = label.split(" ", 1)
    raw = schema.raw_schema["paths"][path][method.lower()]
    if not raw.get("parameters") and "requestBody" not in raw:
        pytest.skip("no input to make invalid")
    operation = schema.find_operation_by_label(label)
    auth = {"Authorization": f"Bearer {server.kiosk_token}"}

    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @HYPOTHESIS
    def check(case):
        response = case.call_and_validate(timeout=LIVE_TIMEOUT, headers=auth,
                                          checks=all_checks())
        assert response.status_code < 500

    check()
