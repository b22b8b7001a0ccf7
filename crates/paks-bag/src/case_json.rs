//! `data/case.json`: the case document in the API's schema, checked by the same rules as a
//! submission body.

use paks_protocol::{CASE_SCHEMA_VERSION, CaseDocument};

use crate::error::{BagError, Result};

/// Parses and validates a case document; the error lists every failing field.
pub fn parse_case(bytes: &[u8]) -> Result<CaseDocument> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| BagError::CaseSchema(format!("not UTF-8 (at byte {})", e.valid_up_to())))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| BagError::CaseSchema(format!("malformed JSON: {e}")))?;
    let version = value.get("schema_version");
    if version.and_then(serde_json::Value::as_u64) != Some(u64::from(CASE_SCHEMA_VERSION)) {
        return Err(BagError::CaseSchema(format!(
            "schema_version is {}, expected {CASE_SCHEMA_VERSION}",
            version.map_or("missing".to_owned(), ToString::to_string)
        )));
    }
    let case: CaseDocument = serde_json::from_value(value)
        .map_err(|e| BagError::CaseSchema(format!("does not match the schema: {e}")))?;
    case.validate().map_err(|errors| {
        let text: Vec<String> =
            errors.iter().map(|e| format!("{} {}", e.pointer, e.message)).collect();
        BagError::CaseSchema(text.join("; "))
    })?;
    Ok(case)
}
