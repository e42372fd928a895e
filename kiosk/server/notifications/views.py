"""Kannel's delivery reports (dlr-url): GET /sms/dlr/?ref=...&type=%d..."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from kiosk.server.notifications.gateways import DlrError, parse_dlr
from kiosk.server.notifications.services import record_delivery_report


@require_GET
def delivery_report(request):
    """The `ref` is 128 random bits per SMS: a forged report cannot name a real row."""
    try:
        report = parse_dlr(request.GET)
    except DlrError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    message = record_delivery_report(report)
    if message is None:
        return HttpResponse("unknown ref", status=404, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
