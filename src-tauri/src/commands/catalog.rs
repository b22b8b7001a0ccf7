//! The embedded catalogs. They need no store, so they work even when it failed to open.

use desk_core::CaseField;
use desk_core::case::{FieldLimits, GOVERNMENT_LEVELS, LANGUAGES, STAGES};
use desk_core::catalog::{self, Country, MdgCatalog, SdgCatalog};
use serde::Serialize;
use ts_rs::TS;

/// A case section as the editor shows it: its wire name (the UI has its label) and length advice.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FieldInfo {
    pub field: CaseField,
    pub limits: FieldLimits,
    /// The values the field accepts, when it is a choice (language, level, stage); else empty.
    pub options: Vec<String>,
}

fn options(field: CaseField) -> Vec<String> {
    let options: &[&str] = match field {
        CaseField::Language => LANGUAGES,
        CaseField::GovernmentLevel => GOVERNMENT_LEVELS,
        CaseField::Stage => STAGES,
        _ => &[],
    };
    options.iter().map(|option| (*option).to_owned()).collect()
}

#[tauri::command]
pub async fn catalog_fields() -> Vec<FieldInfo> {
    CaseField::ALL
        .into_iter()
        .map(|field| FieldInfo { field, limits: field.limits(), options: options(field) })
        .collect()
}

#[tauri::command]
pub async fn catalog_mdg() -> &'static MdgCatalog {
    catalog::mdg()
}

#[tauri::command]
pub async fn catalog_sdg() -> &'static SdgCatalog {
    catalog::sdg()
}

#[tauri::command]
pub async fn catalog_countries() -> &'static [Country] {
    catalog::countries()
}

#[tauri::command]
pub async fn catalog_crosswalk_notice() -> &'static str {
    catalog::CROSSWALK_NOTICE
}
