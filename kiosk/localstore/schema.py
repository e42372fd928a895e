"""The local store's SQLite schema: one script per version, applied in order on open
(PRAGMA user_version counts those applied)."""

SCHEMA = [
    # version 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE content (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        claimed_at TEXT,
        last_error TEXT,
        result TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    """,
    # version 2: blocks of ticket numbers leased from the server, issued while offline
    # (`next` is the first number not yet given to a visitor; next > last: used up).
    """
    CREATE TABLE lease (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        day TEXT NOT NULL,
        prefix TEXT NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        next INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (service, day, first)
    );
    CREATE INDEX lease_service_day ON lease (service, day);
    """,
]
