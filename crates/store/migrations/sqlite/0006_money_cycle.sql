-- The rest of the money cycle: the office an invoice belongs to, cancellation and re-issue
-- with history, waivers, instalment plans, refunds, settlements and monthly site rent.

-- The office whose work an invoice bills (its service fee goes to that office) or, for rent,
-- the office that pays. NULL for invoices of no office.
ALTER TABLE invoices ADD COLUMN office_id INTEGER REFERENCES offices(id);
-- A re-issued invoice names the one it replaces; an invoice is replaced at most once.
ALTER TABLE invoices ADD COLUMN supersedes INTEGER REFERENCES invoices(id);
CREATE UNIQUE INDEX invoices_supersedes ON invoices(supersedes);
ALTER TABLE invoices ADD COLUMN paid_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN waiver_reason TEXT;
ALTER TABLE invoices ADD COLUMN waiver_approved_by INTEGER REFERENCES users(id);
ALTER TABLE invoices ADD COLUMN cancel_reason TEXT;
ALTER TABLE invoices ADD COLUMN cancelled_by INTEGER REFERENCES users(id);
ALTER TABLE invoices ADD COLUMN cancelled_at INTEGER;
UPDATE invoices SET paid_total = cash_total WHERE status = 'paid';

-- Instalment plans: number 0 is the down payment. A paid instalment names its payment.
CREATE TABLE instalments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    number INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    amount INTEGER NOT NULL,
    payment_id INTEGER REFERENCES payments(id),
    UNIQUE (invoice_id, number)
);

-- A payment's public receipt code (the QR target), set when it is recorded; the instalment
-- it pays, if any.
ALTER TABLE payments ADD COLUMN receipt_code TEXT;
CREATE UNIQUE INDEX payments_receipt_code ON payments(receipt_code);
ALTER TABLE payments ADD COLUMN instalment INTEGER;

-- A refund returns one payment in full; its shares are the payment's shares negated.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id INTEGER NOT NULL UNIQUE REFERENCES payments(id),
    amount INTEGER NOT NULL,
    reason TEXT NOT NULL,
    approved_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);

-- What each party is owed for one Jalali month, closed once: party_key is `municipality`,
-- `agency` or `office:{id}`.
CREATE TABLE settlements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    party_key TEXT NOT NULL,
    period TEXT NOT NULL,
    amount INTEGER NOT NULL,
    shares INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    UNIQUE (party_key, period)
);

-- A share is recorded when its payment is (or, negated, when the payment is refunded), and
-- settled exactly once.
ALTER TABLE payment_shares ADD COLUMN refund_id INTEGER REFERENCES refunds(id);
ALTER TABLE payment_shares ADD COLUMN recorded_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_shares ADD COLUMN settlement_id INTEGER REFERENCES settlements(id);
UPDATE payment_shares SET recorded_at = (SELECT paid_at FROM payments WHERE payments.id = payment_shares.payment_id);
CREATE INDEX payment_shares_recorded ON payment_shares(recorded_at);

-- Municipal sites let to offices, and the months billed: a month is billed once per site.
CREATE TABLE office_sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    site_code TEXT NOT NULL,
    monthly_rent INTEGER NOT NULL,
    from_month TEXT NOT NULL,
    until_month TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (site_code, from_month)
);

CREATE TABLE rent_charges (
    office_site_id INTEGER NOT NULL REFERENCES office_sites(id),
    month TEXT NOT NULL,
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    paid_at INTEGER,
    PRIMARY KEY (office_site_id, month)
);

-- The sandbox gateway refunds a paid order once.
ALTER TABLE sandbox_orders ADD COLUMN refunded_at INTEGER;
