use axum::Json;

use super::paths;
use super::route_table::RouteTable;

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::OPENAPI, || async { Json(crate::openapi::document()) })
}
