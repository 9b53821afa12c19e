-- The detailed plan: rule versions (the human-readable plan file, kept whole), the zone map and
-- the parcels. Geometry and parcel attributes are JSON text, read into the in-memory spatial
-- index; `plan_state.generation` changes on every import so that every server reloads.

CREATE TABLE plan_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL UNIQUE,
    -- Jalali yyyy/mm/dd as written in the file, and its start (00:00 Asia/Tehran) in Unix seconds.
    effective_from TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);

CREATE TABLE plan_zones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE parcels (
    parcel_key TEXT PRIMARY KEY,
    district TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE plan_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO plan_state (id, generation) VALUES (1, 0);
