//! Static assets, compiled into the binary. Names carry no version, so browsers revalidate
//! them every day; they are small.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../static/app.css")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../static/htmx.min.js")),
    (
        "fonts/Vazirmatn-Regular.woff2",
        "font/woff2",
        include_bytes!("../static/fonts/Vazirmatn-Regular.woff2"),
    ),
    ("fonts/Vazirmatn-Bold.woff2", "font/woff2", include_bytes!("../static/fonts/Vazirmatn-Bold.woff2")),
    ("map.js", "text/javascript; charset=utf-8", include_bytes!("../static/map.js")),
    ("leaflet/leaflet.js", "text/javascript; charset=utf-8", include_bytes!("../static/leaflet/leaflet.js")),
    ("leaflet/leaflet.css", "text/css; charset=utf-8", include_bytes!("../static/leaflet/leaflet.css")),
    ("leaflet/LICENSE.txt", "text/plain; charset=utf-8", include_bytes!("../static/leaflet/LICENSE.txt")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../static/favicon.svg")),
    ("fonts/OFL.txt", "text/plain; charset=utf-8", include_bytes!("../static/fonts/OFL.txt")),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => (
            [(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=86400")],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
