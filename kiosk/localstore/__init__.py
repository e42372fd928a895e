"""The kiosk's own SQLite: content snapshot + cursor, outbox of writes to the server."""

from kiosk.localstore.store import Lease, LocalStore, OutboxItem, OutboxStatus

__all__ = ["Lease", "LocalStore", "OutboxItem", "OutboxStatus"]
