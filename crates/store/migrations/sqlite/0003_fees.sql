-- Fee bylaw versions, each kept whole as published. The version in force on a day is the newest
-- whose effective date has come; an assessment records the version it used.

CREATE TABLE fee_bylaws (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL UNIQUE,
    effective_from TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);
