//! Response headers and cross-site request forgery protection.
//!
//! Unsafe requests (anything but GET, HEAD, OPTIONS) must come from this site: Fetch Metadata
//! (`Sec-Fetch-Site`) when the browser sends it, else the `Origin` header, else the `Referer`,
//! each compared with the request's own host. A request with none of them is refused. Agency
//! calls with an API key and no cookie, and payment gateways' HMAC-signed callbacks, are exempt:
//! they carry no ambient credential to abuse.
//! Session cookies are also SameSite=Lax.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// Swagger UI sets one inline style; its hash is allowed on its pages and nowhere else.
const SWAGGER_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let csp = if request.uri().path().starts_with("/api/v1/docs") { SWAGGER_CSP } else { CSP };
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(csp));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if state.app.config().behind_tls {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

/// Whether an unsafe request demonstrably comes from this site.
pub fn same_site(headers: &HeaderMap) -> bool {
    let get = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let Some(host) = get(header::HOST.as_str()) else {
        return false;
    };
    if let Some(site) = get("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    if let Some(origin) = get(header::ORIGIN.as_str()) {
        return host_of(origin) == Some(host);
    }
    if let Some(referer) = get(header::REFERER.as_str()) {
        return host_of(referer) == Some(host);
    }
    get("sec-fetch-site").is_some()
}

fn api_key_without_cookie(headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer dk_"));
    bearer && !headers.contains_key(header::COOKIE)
}

/// Gateway calls authenticate by signature (checked by the use case), not by cookie: callbacks
/// to Daftar, and Daftar's orders to the sandbox gateway.
const SIGNED_PATHS: [&str; 2] = ["/api/v1/payments/callback/", "/sandbox-gateway/api/"];

pub async fn csrf(request: Request, next: Next) -> Result<Response, (StatusCode, &'static str)> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let signed = SIGNED_PATHS.iter().any(|p| request.uri().path().starts_with(p))
        && !request.headers().contains_key(header::COOKIE);
    if safe || signed || api_key_without_cookie(request.headers()) || same_site(request.headers()) {
        Ok(next.run(request).await)
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "درخواست از این وب‌گاه نیامده است. / This request did not come from this site.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_posts_pass_and_foreign_ones_fail() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_site(&headers(&[host, ("origin", "http://127.0.0.1:8080")])));
        assert!(same_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(!same_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(!same_site(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_site(&headers(&[host, ("origin", "null")])));
        assert!(same_site(&headers(&[host, ("referer", "http://127.0.0.1:8080/sign-in")])));
        assert!(!same_site(&headers(&[host, ("referer", "http://127.0.0.1:8080.evil.example/")])));
        assert!(!same_site(&headers(&[host])), "no evidence at all is refused");
    }
}
