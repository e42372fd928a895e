"""The protocol is published as OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_the_document_is_openapi_3_for_protocol_1(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"
    assert schema["info"]["title"]


def test_every_protocol_path_is_listed(schema):
    paths = schema["paths"]
    assert {"/api/v1/health", "/api/v1/content", "/api/v1/tickets",
            "/api/v1/tickets/{ticket_id}"} <= set(paths)
    assert "get" in paths["/api/v1/content"]
    assert "post" in paths["/api/v1/tickets"]
    assert "get" in paths["/api/v1/tickets/{ticket_id}"]


def test_kiosk_endpoints_declare_bearer_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("scheme", "").lower() == "bearer"]
    assert bearer
    for path, method in (("/api/v1/content", "get"), ("/api/v1/tickets", "post")):
        assert {next(iter(s)) for s in schema["paths"][path][method]["security"]} & set(bearer)
    assert not schema["paths"]["/api/v1/health"]["get"].get("security")


def test_ticket_creation_requires_the_idempotency_key(schema):
    params = schema["paths"]["/api/v1/tickets"]["post"]["parameters"]
    key = next(p for p in params if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True
    assert key["schema"].get("format") == "uuid"


def test_documented_answers(schema):
    tickets = schema["paths"]["/api/v1/tickets"]["post"]["responses"]
    assert {"200", "201", "404", "409"} <= set(tickets)
    content = schema["paths"]["/api/v1/content"]["get"]["responses"]
    assert {"200", "304"} <= set(content)
    since = [p for p in schema["paths"]["/api/v1/content"]["get"]["parameters"]
             if p["name"] == "since"]
    assert since and since[0]["in"] == "query" and not since[0].get("required", False)


def test_the_ticket_schema_has_the_protocol_fields(schema):
    ticket = schema["components"]["schemas"]["TicketOut"]
    assert set(ticket["properties"]) == {
        "id", "number", "service", "status", "position", "ahead", "estimated_wait_minutes",
        "counter", "phone_url", "created_at", "called_at", "priority", "sms", "offline",
        "wait_low_minutes", "wait_high_minutes", "wait_status",
        "documents", "carnet_code", "carnet_linked",  # the carnet (issue 14)
    }
    content = schema["components"]["schemas"]["ContentOut"]
    assert {"protocol", "cursor", "full", "more", "items", "deleted"} <= set(content["properties"])


def test_the_browsable_docs_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200
