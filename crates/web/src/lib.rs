//! Daftar's web layer: server-rendered pages (Persian first, right to left; English second)
//! and the JSON API under `/api/v1`. Handlers parse the request, call a use case of
//! `daftar_app` and render its answer; they hold no SQL and no business rule.

pub mod api;
mod caller;
mod error;
mod i18n;
mod idempotency;
mod pages;
mod routes;
mod security;
mod static_files;
mod view;

use std::net::SocketAddr;
use std::sync::OnceLock;

use daftar_app::App;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub use routes::{route_list, router};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: PrometheusHandle,
}

/// The process-wide Prometheus recorder (installed once, however many servers a process runs).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding program's); then this
            // handle renders nothing, which is the embedder's choice.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Serves until `shutdown` resolves, passing each connection's peer address to the handlers.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(AppState { app, metrics: metrics_handle() });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
