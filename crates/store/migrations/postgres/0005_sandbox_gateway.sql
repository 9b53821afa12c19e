-- The development payment gateway's own orders. A real gateway keeps these on its side; the
-- sandbox keeps them in Daftar's database so that any server can play the gateway.

CREATE TABLE sandbox_orders (
    reference TEXT PRIMARY KEY,
    amount BIGINT NOT NULL,
    callback_url TEXT NOT NULL,
    return_url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    created_at BIGINT NOT NULL
);
