-- Services as published data, cases run by them, and everything a case gathers: owners,
-- steps, subtasks, documents (bytes by content hash), inspections, complaints and permits.
-- A case's `version` is its optimistic lock: every step updates it conditionally, so two
-- people acting on the same version cannot both succeed.

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tracking_code TEXT NOT NULL UNIQUE,
    service_id INTEGER NOT NULL REFERENCES services(id),
    office_id INTEGER NOT NULL REFERENCES offices(id),
    district_id INTEGER NOT NULL REFERENCES districts(id),
    parcel_key TEXT NOT NULL,
    applicant_national_id TEXT NOT NULL,
    applicant_mobile TEXT NOT NULL,
    form TEXT NOT NULL,
    facts TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    terminal INTEGER NOT NULL DEFAULT 0,
    state_entered_at INTEGER NOT NULL,
    state_due_at INTEGER,
    escalated_at INTEGER,
    search_text TEXT NOT NULL,
    opened_by INTEGER REFERENCES users(id),
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cases_office ON cases(office_id, state);
CREATE INDEX cases_district ON cases(district_id, state);
CREATE INDEX cases_applicant ON cases(applicant_national_id);
CREATE INDEX cases_due ON cases(state_due_at);

CREATE TABLE case_owners (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    position INTEGER NOT NULL,
    identifier TEXT NOT NULL,
    name TEXT NOT NULL,
    share TEXT NOT NULL,
    PRIMARY KEY (case_id, position)
);

CREATE TABLE case_steps (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    role TEXT NOT NULL,
    automatic INTEGER NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_subtasks (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    code TEXT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT,
    answered_at INTEGER,
    PRIMARY KEY (case_id, code)
);

-- File bytes by SHA-256: outside any web root, shared by every app server.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL
);

CREATE TABLE case_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX case_documents_case ON case_documents(case_id);

CREATE TABLE inspections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    round INTEGER NOT NULL,
    inspector_id INTEGER NOT NULL REFERENCES users(id),
    scheduled_on TEXT NOT NULL,
    checklist TEXT,
    passed INTEGER,
    report TEXT,
    reported_at INTEGER,
    UNIQUE (case_id, round)
);

CREATE TABLE complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    body TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    answer TEXT,
    answered_by INTEGER REFERENCES users(id),
    answered_at INTEGER
);
CREATE INDEX complaints_status ON complaints(status, due_at);

-- What a case issues (a building permit, a completion or no-violation certificate), signed:
-- `document` is the printed content and `seal` its Ed25519 seal, both JSON; `code` is what
-- the QR code and the verification page carry.
CREATE TABLE issued_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL,
    seal TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    -- The building permit's completion deadline (Jalali), extended with the permit.
    valid_until TEXT,
    delivered_at INTEGER
);
