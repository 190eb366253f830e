//! Static files, embedded in the binary: stylesheet, script, vendored htmx,
//! and the BIZ UD fonts (the same files the printed documents use).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::app::AppState;

#[derive(Embed)]
#[folder = "assets/"]
struct WebAssets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/fonts/{file}", get(font))
        .route("/assets/{*path}", get(asset))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "ttf" => "font/ttf",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str, data: Option<std::borrow::Cow<'static, [u8]>>) -> Response {
    match data {
        Some(bytes) => {
            let mut resp = bytes.into_owned().into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(path)),
            );
            let cache = if path.ends_with(".ttf") || path.contains("vendor/") {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=3600"
            };
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            resp
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    let data = WebAssets::get(&path).map(|f| f.data);
    serve(&path, data)
}

async fn font(Path(file): Path<String>) -> Response {
    // The same bytes the PDFs embed (one copy in the binary).
    let data = jousei_documents::font(&file).map(std::borrow::Cow::Borrowed);
    serve(&file, data)
}
