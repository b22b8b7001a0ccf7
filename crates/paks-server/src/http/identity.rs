//! GET /api/v1/identity: who this server is, and proof that it holds its key.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use paks_protocol::{
    API_VERSION, PAKS_SERVICE, ProblemType, ServerIdentity, TusCapabilities, identity_signing_bytes,
};

use super::route_table::RouteTable;
use super::tus::{TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION};
use super::{ApiResult, ProblemResponse, SharedState, paths};

pub fn routes() -> RouteTable {
    RouteTable::new().get(paths::IDENTITY, identity)
}

async fn identity(
    State(state): State<SharedState>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ServerIdentity>> {
    let Query(query) =
        query.map_err(|e| ProblemResponse::new(ProblemType::ValidationFailed, e.body_text()))?;
    let challenge = query.get("challenge").cloned();
    if let Some(c) = &challenge
        && (c.is_empty() || c.len() > 256 || c.chars().any(char::is_control))
    {
        return Err(ProblemResponse::new(
            ProblemType::ValidationFailed,
            "challenge must be 1 to 256 bytes without control characters",
        ));
    }
    let challenge_signature =
        challenge.as_deref().map(|c| state.key.sign(&identity_signing_bytes(c)));
    Ok(Json(ServerIdentity {
        service: PAKS_SERVICE.to_owned(),
        name: state.config.name.clone(),
        api_version: API_VERSION.to_owned(),
        public_key: state.key.public_key_base64(),
        key_id: state.key.key_id(),
        time: crate::clock::rfc3339(crate::clock::now())?,
        tus: TusCapabilities {
            endpoint: paths::UPLOADS.into(),
            version: TUS_VERSION.into(),
            extensions: TUS_EXTENSIONS.iter().map(|s| (*s).to_owned()).collect(),
            checksum_algorithms: TUS_CHECKSUM_ALGORITHMS.iter().map(|s| (*s).to_owned()).collect(),
            max_size: state.config.max_upload_size,
        },
        challenge,
        challenge_signature,
    }))
}
