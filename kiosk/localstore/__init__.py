"""The kiosk's own SQLite: content snapshot + cursor, outbox of writes to the server."""

from kiosk.localstore.store import LocalStore, OutboxItem, OutboxStatus

__all__ = ["LocalStore", "OutboxItem", "OutboxStatus"]
