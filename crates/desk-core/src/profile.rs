//! The focal point who uses this copy of the app.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog;
use crate::error::{Error, Result};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub institution: String,
    pub email: String,
    /// ISO 3166-1 alpha-3 of an ESCAP member or associate member.
    pub country: String,
}

const PROFILE_MAX_CHARS: usize = 300;

impl Profile {
    fn validated(&self) -> Result<Profile> {
        let check = |field: &'static str, value: &str, required: bool| -> Result<String> {
            let value = value.trim();
            let len = value.chars().count();
            if len > PROFILE_MAX_CHARS {
                return Err(Error::FieldTooLong { field, len, max: PROFILE_MAX_CHARS });
            }
            if required && value.is_empty() {
                return Err(Error::InvalidValue {
                    field,
                    problem: "required",
                    reason: "is required".into(),
                });
            }
            if value.chars().any(char::is_control) {
                return Err(Error::InvalidValue {
                    field,
                    problem: "control_characters",
                    reason: "contains control characters".into(),
                });
            }
            Ok(value.to_owned())
        };
        let email = check("Email", &self.email, true)?;
        let plausible = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !plausible || email.contains(' ') {
            return Err(Error::InvalidValue {
                field: "Email",
                problem: "not_an_email",
                reason: format!("'{email}' is not an email address"),
            });
        }
        let country = catalog::country(self.country.trim())
            .ok_or_else(|| Error::UnknownCountry(self.country.clone()))?;
        Ok(Profile {
            name: check("Name", &self.name, true)?,
            title: check("Title", &self.title, false)?,
            institution: check("Institution", &self.institution, true)?,
            email,
            country: country.iso3.clone(),
        })
    }
}

impl Store {
    pub fn profile(&self) -> Result<Option<Profile>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT name, title, institution, email, country FROM profile WHERE id = 1",
                    [],
                    |r| {
                        Ok(Profile {
                            name: r.get(0)?,
                            title: r.get(1)?,
                            institution: r.get(2)?,
                            email: r.get(3)?,
                            country: r.get(4)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    pub fn set_profile(&self, profile: &Profile) -> Result<Profile> {
        let profile = profile.validated()?;
        let now = self.now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO profile (id, name, title, institution, email, country, updated_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, title = excluded.title,
                   institution = excluded.institution, email = excluded.email,
                   country = excluded.country, updated_at = excluded.updated_at",
                params![
                    profile.name,
                    profile.title,
                    profile.institution,
                    profile.email,
                    profile.country,
                    now
                ],
            )?;
            Ok(())
        })?;
        Ok(profile)
    }
}
