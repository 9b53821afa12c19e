//! Settings that differ between deployments. Tests and benchmarks raise the limits.

/// How many attempts are allowed per window, per account and per peer address.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub window_s: i64,
    pub sign_in_per_account: i64,
    pub sign_in_per_peer: i64,
    pub codes_per_national_id: i64,
    pub codes_per_peer: i64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            window_s: 15 * 60,
            sign_in_per_account: 10,
            sign_in_per_peer: 50,
            codes_per_national_id: 5,
            codes_per_peer: 30,
        }
    }
}

impl RateLimits {
    /// Limits so high they never bite: for load tests.
    pub fn unlimited() -> RateLimits {
        RateLimits {
            window_s: 60,
            sign_in_per_account: i64::MAX,
            sign_in_per_peer: i64::MAX,
            codes_per_national_id: i64::MAX,
            codes_per_peer: i64::MAX,
        }
    }
}

/// Session lifetimes, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub staff_idle_s: i64,
    pub staff_absolute_s: i64,
    pub citizen_idle_s: i64,
    pub citizen_absolute_s: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            staff_idle_s: 30 * 60,
            staff_absolute_s: 12 * 3600,
            citizen_idle_s: 30 * 60,
            citizen_absolute_s: 12 * 3600,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Cookies carry the Secure flag (browsers keep Secure cookies on http://localhost and
    /// http://127.0.0.1 too, so the demo works with it on).
    pub secure_cookies: bool,
    /// The deployment sits behind a TLS-terminating proxy: send HSTS.
    pub behind_tls: bool,
    /// The development SMS provider is in use: codes go to the log and the outbox, and the
    /// development outbox page is available.
    pub development_sms: bool,
    pub rate_limits: RateLimits,
    pub sessions: SessionPolicy,
    /// Name shown in authenticator apps.
    pub totp_issuer: String,
    /// The key payment gateways sign their callbacks with (HMAC-SHA256).
    pub gateway_secret: Secret,
    /// Where this deployment is reached from outside (`https://daftar.example.ir`), for the
    /// addresses a payment gateway calls back and returns the payer to.
    pub public_url: String,
    /// The city whose municipality issues the documents, as printed on them.
    pub city_name: String,
}

/// A secret that never appears in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// A fresh random secret.
    pub fn generate() -> Secret {
        Secret(crate::random_bytes::<32>().to_vec())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: true,
            behind_tls: false,
            development_sms: true,
            rate_limits: RateLimits::default(),
            sessions: SessionPolicy::default(),
            totp_issuer: "Daftar".to_string(),
            gateway_secret: Secret::generate(),
            public_url: "http://127.0.0.1:8080".to_string(),
            city_name: "شهر نمونه".to_string(),
        }
    }
}
