//! Who is calling: the session cookie or an agency's API key becomes a [`Caller`] in the
//! request's extensions, and the route's access rule is enforced before any handler runs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::auth::{self, SessionState};
use daftar_app::authz::{self, Decision};
use daftar_app::{Principal, RequestMeta, api_keys};
use daftar_types::Lang;

use crate::AppState;

pub const SESSION_COOKIE: &str = "daftar_session";
pub const LANG_COOKIE: &str = "daftar_lang";

/// The caller of the current request, as established by [`identify`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub lang: Lang,
    pub state: CallerState,
    /// The session cookie's token, when the caller has a live session.
    pub session_token: Option<String>,
    /// The agency's API key, when the caller signed in with one.
    pub api_key_id: Option<i64>,
    pub meta: RequestMeta,
}

#[derive(Debug, Clone)]
pub enum CallerState {
    Anonymous,
    AwaitingSecondFactor { user_id: i64 },
    SignedIn(Principal),
}

impl Caller {
    pub fn principal(&self) -> Option<&Principal> {
        match &self.state {
            CallerState::SignedIn(p) => Some(p),
            _ => None,
        }
    }

    fn as_authz(&self) -> authz::Caller<'_> {
        match &self.state {
            CallerState::Anonymous => authz::Caller::Anonymous,
            CallerState::AwaitingSecondFactor { .. } => authz::Caller::AwaitingSecondFactor,
            CallerState::SignedIn(p) => authz::Caller::SignedIn(p),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

/// Establishes the caller from the session cookie or an API key.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let lang = cookie(headers, LANG_COOKIE).and_then(Lang::from_code).unwrap_or_default();
    let peer =
        request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string());
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let meta = RequestMeta { peer, request_id };
    let mut caller =
        Caller { lang, state: CallerState::Anonymous, session_token: None, api_key_id: None, meta };

    // Static files need no caller: spare the database the session look-ups of every asset.
    let resolved = if request.uri().path().starts_with("/static/") {
        Ok(None)
    } else if let Some(key) = bearer(headers) {
        let found = api_keys::authenticate(&state.app, key).await;
        if let Ok(Some(holder)) = &found {
            caller.api_key_id = Some(holder.key_id);
        }
        found.map(|h| h.map(|h| CallerState::SignedIn(h.principal)))
    } else if let Some(token) = cookie(headers, SESSION_COOKIE).map(str::to_string) {
        let found = auth::session(&state.app, &token).await;
        if matches!(found, Ok(Some(_))) {
            caller.session_token = Some(token);
        }
        found.map(|s| {
            s.map(|s| match s {
                SessionState::AwaitingSecondFactor { user_id } => {
                    CallerState::AwaitingSecondFactor { user_id }
                }
                SessionState::SignedIn(p) => CallerState::SignedIn(p),
            })
        })
    } else {
        Ok(None)
    };
    match resolved {
        Ok(Some(s)) => caller.state = s,
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "could not resolve the caller");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Enforces the route's rule from `daftar_app::authz`. A route without a rule is refused:
/// forgetting a rule can never open a route.
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(path) = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()) else {
        return next.run(request).await;
    };
    let method = request.method().as_str().to_string();
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(access) = authz::route_access(&method, &path) else {
        tracing::error!(%method, %path, "route has no access rule; refused");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let is_api = path.starts_with("/api/");
    match authz::decide(access, caller.as_authz(), state.app.config()) {
        Decision::Allow => next.run(request).await,
        Decision::Hidden => crate::error::not_found(caller.lang, is_api),
        Decision::Unauthenticated => {
            if is_api || method != "GET" {
                crate::error::status_response(
                    StatusCode::UNAUTHORIZED,
                    &daftar_app::AppError::Unauthenticated,
                    caller.lang,
                    is_api,
                )
            } else {
                let next_path = request.uri().path_and_query().map_or("/", |p| p.as_str());
                let target = format!("/sign-in?next={}", encode_query(next_path));
                Redirect::to(&target).into_response()
            }
        }
        Decision::Forbidden => {
            if let Err(err) =
                daftar_app::audit::record_denial(&state.app, caller.principal(), &caller.meta, &method, &path)
                    .await
            {
                tracing::error!(error = %err, "could not record a denial");
            }
            crate::error::status_response(
                StatusCode::FORBIDDEN,
                &daftar_app::AppError::Forbidden,
                caller.lang,
                is_api,
            )
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to return to after signing in; anything else (another site) becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".to_string(),
    }
}

/// The session cookie's attributes. HttpOnly and SameSite=Lax always; Secure when configured.
pub fn session_cookie(token: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
