-- Licensing calls, applications, exam results and board votes, the selection, licences,
-- office equipment and experts. The database, not the application, guarantees that a call is
-- selected once and that no rank or site is given twice.

CREATE TABLE licensing_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One application per person and call: a draft until submitted, final afterwards.
CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    data TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    receipt_code TEXT,
    submitted_at INTEGER,
    updated_at INTEGER NOT NULL,
    UNIQUE (call_id, national_id)
);

CREATE TABLE exam_results (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    score TEXT NOT NULL,
    PRIMARY KEY (call_id, national_id)
);

CREATE TABLE board_votes (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES users(id),
    vote TEXT NOT NULL CHECK (vote IN ('approve', 'reject', 'abstain')),
    PRIMARY KEY (call_id, national_id, member_id)
);

-- The selection of a call, made once: the ranking (with the digest of its inputs) and every
-- selected applicant with a rank and, for those without premises, a site.
CREATE TABLE selections (
    call_id INTEGER PRIMARY KEY REFERENCES licensing_calls(id),
    inputs_digest TEXT NOT NULL,
    ranking TEXT NOT NULL,
    selection TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE selected (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    site_code TEXT,
    PRIMARY KEY (call_id, national_id),
    UNIQUE (call_id, rank),
    UNIQUE (call_id, site_code)
);

CREATE TABLE licences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    office_id INTEGER NOT NULL UNIQUE REFERENCES offices(id),
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (call_id, national_id)
);

CREATE TABLE office_equipment (
    office_id INTEGER NOT NULL REFERENCES offices(id),
    item TEXT NOT NULL,
    label_fa TEXT NOT NULL,
    supplier TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'installed')),
    PRIMARY KEY (office_id, item)
);

CREATE TABLE experts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    national_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    training_completed_on TEXT,
    exam_score TEXT,
    certified_on TEXT,
    expires_on TEXT,
    office_id INTEGER REFERENCES offices(id),
    created_at INTEGER NOT NULL
);
