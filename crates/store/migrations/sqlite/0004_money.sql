-- Invoices, payments and each payment's split among the parties. Amounts are integer Rials.
-- A gateway's reference is unique per gateway: a payment is recorded once, however often the
-- gateway calls back.

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    owner_type TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    bylaw_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled')),
    total INTEGER NOT NULL,
    cash_total INTEGER NOT NULL,
    assessment TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    paid_at INTEGER
);
CREATE INDEX invoices_owner ON invoices(owner_type, owner_id);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    gateway TEXT NOT NULL,
    gateway_ref TEXT NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('initiated', 'paid', 'failed', 'refunded')),
    created_at INTEGER NOT NULL,
    paid_at INTEGER,
    UNIQUE (gateway, gateway_ref)
);

CREATE TABLE payment_shares (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    party TEXT NOT NULL,
    head TEXT NOT NULL,
    level INTEGER,
    amount INTEGER NOT NULL
);
CREATE INDEX payment_shares_payment ON payment_shares(payment_id);
