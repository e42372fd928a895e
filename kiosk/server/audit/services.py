"""Recording audit entries: `record()` for any code that changes content (the back-office's
SiteScopedAdmin, moderation…), with `snapshot()` and `diff()` to compute what changed."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid

from django.db import models

# Never written to the log, whatever the model: secrets and personal contact data.
SECRET_FIELD = re.compile(r"token|phone|contact|password|secret", re.IGNORECASE)


def _plain(value):
    """A JSON-ready copy of a field value (dates as ISO strings), so that what is compared
    is exactly what is stored."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict:
    """The object's concrete fields (foreign keys as ids), without its pk nor secrets."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or SECRET_FIELD.search(field.name):
            continue
        data[field.name] = _plain(field.value_from_object(obj))
    return data


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs."""
    return {name: [before.get(name), after.get(name)]
            for name in sorted(before.keys() | after.keys())
            if before.get(name) != after.get(name)}


def site_id_of(obj: models.Model):
    from kiosk.server.content.models import Site

    if isinstance(obj, Site):
        return obj.pk
    return getattr(obj, "site_id", None)


def record(user, obj: models.Model, action: str, changes: dict | None = None):
    """Append one AuditEntry for `obj` (`action`: created, changed or deleted). `changes`
    defaults to the object's snapshot; secret-like fields are dropped in any case. Call it
    before deleting the object's site, and with the pk still known for a deletion."""
    from kiosk.server.audit.models import AuditEntry

    if action not in AuditEntry.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if changes is None:
        changes = snapshot(obj)
    changes = {k: _plain(v) for k, v in changes.items() if not SECRET_FIELD.search(str(k))}
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        site_id=site_id_of(obj),
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        changes=changes,
    )
