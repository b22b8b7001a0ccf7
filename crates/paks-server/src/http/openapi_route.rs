use axum::routing::get;
use axum::{Json, Router};

use super::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(crate::openapi::document()) }))
}
