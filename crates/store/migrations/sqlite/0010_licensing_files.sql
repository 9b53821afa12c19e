-- What applications carry besides their data (certificate files and photos of premises), the
-- seats of a call's board, and the licence's lifecycle. A file's bytes are a blob, stored once
-- under the SHA-256 of its content; never under a folder a web server could serve.

-- One file per slot of an applicant's application (`a.decl.no_criminal_record.certificate`,
-- `p.photo.1`, …), keyed like the application itself so a draft can hold files before it is
-- complete; replaced with the draft, fixed by the submission.
CREATE TABLE application_files (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    slot TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    -- Sanitised: no folders, no control characters.
    file_name TEXT NOT NULL,
    -- Found by sniffing the content (PDF, JPEG or PNG), never taken from the upload.
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (call_id, national_id, slot)
);

-- The registration page's fields as the applicant last saved them (JSON), complete or not, so
-- a long form can be filled over days.
CREATE TABLE application_forms (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    national_id TEXT NOT NULL,
    form TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (call_id, national_id)
);

-- The board of a call: the committee seats each member; a member's seat number is their number
-- on every ballot, so the ballots (and the inputs digest) do not depend on who voted first.
CREATE TABLE board_seats (
    call_id INTEGER NOT NULL REFERENCES licensing_calls(id),
    seat INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (call_id, seat),
    UNIQUE (call_id, user_id)
);

-- Every move of a licence after its issue (renewed, suspended, resumed, revoked) with its reason.
CREATE TABLE licence_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    licence_id INTEGER NOT NULL REFERENCES licences(id),
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX licence_events_by_licence ON licence_events (licence_id, id);
