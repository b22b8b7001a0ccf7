use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const COUNTRIES_CSV: &str = include_str!("../../../../assets/catalog/countries.csv");

/// An ESCAP member or associate member.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Country {
    pub name: String,
    /// "member" or "associate member".
    pub membership: String,
    pub iso2: String,
    pub iso3: String,
    pub m49: String,
    pub subregion: String,
    /// Least developed country.
    pub ldc: bool,
    /// Landlocked developing country.
    pub lldc: bool,
    /// Small island developing State.
    pub sids: bool,
    /// What is known of a pending change in LDC status.
    pub ldc_note: String,
}

#[derive(Deserialize)]
struct Row {
    name_escap: String,
    membership: String,
    iso2: String,
    iso3: String,
    m49: String,
    escap_subregion: String,
    ldc: u8,
    lldc: u8,
    sids: u8,
    ldc_note: String,
}

pub fn countries() -> &'static [Country] {
    static COUNTRIES: OnceLock<Vec<Country>> = OnceLock::new();
    COUNTRIES.get_or_init(|| {
        let body: String = COUNTRIES_CSV
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| format!("{line}\n"))
            .collect();
        csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(body.as_bytes())
            .deserialize::<Row>()
            .map(|row| match row {
                Ok(row) => Country {
                    name: row.name_escap,
                    membership: row.membership,
                    iso2: row.iso2,
                    iso3: row.iso3,
                    m49: row.m49,
                    subregion: row.escap_subregion,
                    ldc: row.ldc == 1,
                    lldc: row.lldc == 1,
                    sids: row.sids == 1,
                    ldc_note: row.ldc_note,
                },
                Err(err) => panic!("embedded countries.csv is invalid: {err}"),
            })
            .collect()
    })
}

/// The country with ISO 3166-1 alpha-3 code `iso3` (any case).
pub fn country(iso3: &str) -> Option<&'static Country> {
    countries().iter().find(|c| c.iso3.eq_ignore_ascii_case(iso3))
}
