-- Idempotency keys of API requests, and agencies' webhook subscriptions. Keep this file and
-- ../postgres/ in step.

-- One row per caller and key. The unique constraint decides which of two concurrent requests
-- with the same key runs; the other sees the row. `request_hash` is the SHA-256 (hex) of the
-- method, path and body; the response is kept once the request is done, for 24 hours.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status INTEGER,
    response_content_type TEXT,
    response_body BLOB,
    created_at INTEGER NOT NULL,
    UNIQUE (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- An agency's endpoint for case events: `events` is a comma-separated list of event names or
-- '*'. Removing a subscription clears `active`, so queued deliveries can still be explained.
CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_agency ON webhook_subscriptions(agency, active);
