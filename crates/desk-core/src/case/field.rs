//! The sections of a case study (after UN Public Service Awards and OECD OPSI practice; see
//! `shared/reference/case_fields.md` section 7) with their advisory limits and hard caps.

use paks_protocol::CaseDocument;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog;
use crate::error::{Error, Result};

/// How long a field may be: advice shown to the writer, and a cap that only stops abuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldLimits {
    pub advisory_words: Option<u32>,
    pub advisory_chars: Option<u32>,
    pub max_chars: u32,
}

/// Long sections: 50,000 characters is some 8,000 words, far beyond any advisory limit.
const LONG_TEXT_MAX: u32 = 50_000;
const SHORT_TEXT_MAX: u32 = 500;

const SHORT: FieldLimits =
    FieldLimits { advisory_words: None, advisory_chars: None, max_chars: SHORT_TEXT_MAX };

const fn words(advisory_words: u32) -> FieldLimits {
    FieldLimits {
        advisory_words: Some(advisory_words),
        advisory_chars: None,
        max_chars: LONG_TEXT_MAX,
    }
}

const fn capped(max_chars: u32) -> FieldLimits {
    FieldLimits { max_chars, ..SHORT }
}

pub const GOVERNMENT_LEVELS: &[&str] = &["national", "subnational", "local"];
pub const STAGES: &[&str] = &["planned", "pilot", "implemented", "scaled", "completed"];
pub const LANGUAGES: &[&str] = &["en", "fr", "es", "ru", "zh", "ar"];

/// How a field's stored text becomes its value in the wire document, and back; chosen by the
/// type of the document's field of the same name.
trait WireValue {
    fn from_stored(text: &str) -> Self;
    fn to_stored(&self) -> String;
}

impl WireValue for String {
    fn from_stored(text: &str) -> Self {
        text.to_owned()
    }
    fn to_stored(&self) -> String {
        self.clone()
    }
}

/// A list is stored one entry a line (semicolons also separate).
impl WireValue for Vec<String> {
    fn from_stored(text: &str) -> Self {
        text.split(['\n', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
    fn to_stored(&self) -> String {
        self.join("\n")
    }
}

impl WireValue for Option<u16> {
    fn from_stored(text: &str) -> Self {
        text.trim().parse().ok()
    }
    fn to_stored(&self) -> String {
        self.map(|year| year.to_string()).unwrap_or_default()
    }
}

/// The one table of case fields. Each row: the variant, its column (also its name on the wire,
/// in the bag's case.json, on the command line and, as `field.<column>`, its UI message key),
/// its English label and its limits. `envelope` names the wire document's other fields: the
/// document must have a field named like each column and nothing that is neither.
macro_rules! case_fields {
    (
        envelope: [$($envelope:ident),* $(,)?];
        $($variant:ident => $column:ident, $label:literal, $limits:expr;)*
    ) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS,
        )]
        #[serde(rename_all = "snake_case")]
        #[ts(export)]
        pub enum CaseField {
            $($variant,)*
        }

        impl CaseField {
            pub const ALL: [CaseField; [$(stringify!($variant)),*].len()] =
                [$(CaseField::$variant),*];

            /// The column in `cases`; also the field's name on the wire and on the command line.
            pub fn column(self) -> &'static str {
                match self {
                    $(CaseField::$variant => stringify!($column),)*
                }
            }

            /// The key of the field's label in the UI's messages (`ui/src/lib/i18n.ts`).
            pub fn message_key(self) -> &'static str {
                match self {
                    $(CaseField::$variant => concat!("field.", stringify!($column)),)*
                }
            }

            pub fn label(self) -> &'static str {
                match self {
                    $(CaseField::$variant => $label,)*
                }
            }

            pub fn limits(self) -> FieldLimits {
                match self {
                    $(CaseField::$variant => $limits,)*
                }
            }

            /// Puts the stored `value` of this field into the wire document.
            pub fn write_to_document(self, value: &str, document: &mut CaseDocument) {
                match self {
                    $(CaseField::$variant => document.$column = WireValue::from_stored(value),)*
                }
            }

            /// This field's value in the wire document, as the case store keeps it.
            pub fn read_from_document(self, document: &CaseDocument) -> String {
                match self {
                    $(CaseField::$variant => document.$column.to_stored(),)*
                }
            }
        }

        // No `..`: a field added to the wire document does not compile until it is a row above
        // or part of the envelope.
        #[allow(dead_code)]
        fn every_document_field_is_a_case_field_or_envelope(document: &CaseDocument) {
            let CaseDocument { $($column: _,)* $($envelope: _,)* } = document;
        }
    };
}

case_fields! {
    envelope: [
        schema_version, case_uid, version, replaces, mdg_links, sdg_links, focal_point,
    ];
    Title => title, "Title", FieldLimits { advisory_chars: Some(150), ..SHORT };
    Country => country, "Country", SHORT;
    Language => language, "Language", SHORT;
    GovernmentLevel => government_level, "Level of government", SHORT;
    Institutions => institutions, "Implementing institution(s)", capped(5_000);
    Partners => partners, "Partners", capped(5_000);
    StartYear => start_year, "Start year", SHORT;
    Stage => stage, "Stage", SHORT;
    Themes => themes, "Themes", capped(5_000);
    Summary => summary, "Summary", words(300);
    Problem => problem, "Problem", words(300);
    Solution => solution, "Solution", words(400);
    Innovation => innovation, "Innovation", words(200);
    Objectives => objectives, "Objectives and strategy", words(200);
    Stakeholders => stakeholders, "Stakeholders and beneficiaries", words(200);
    Implementation => implementation, "Implementation", words(400);
    Resources => resources, "Resources", words(200);
    IctComponents => ict_components, "ICT components", words(200);
    Results => results, "Results and impact", words(250);
    Obstacles => obstacles, "Obstacles", words(200);
    Sustainability => sustainability, "Sustainability", words(300);
    Transferability => transferability, "Transferability", words(200);
    LessonsLearned => lessons_learned, "Lessons learned", words(300);
    RelatedPolicy => related_policy, "Related policy or legislation", words(200);
    Links => links, "Links", capped(20_000);
}

impl CaseField {
    pub fn parse(name: &str) -> Result<Self> {
        let wanted = name.trim().replace('-', "_").to_ascii_lowercase();
        CaseField::ALL
            .into_iter()
            .find(|field| field.column() == wanted)
            .ok_or_else(|| Error::UnknownField(name.to_owned()))
    }

    /// Checks `value` and returns what is stored (trimmed codes, canonical case).
    pub fn normalize(self, value: &str) -> Result<String> {
        let chars = value.chars().count();
        let max = self.limits().max_chars as usize;
        if chars > max {
            return Err(Error::FieldTooLong { field: self.label(), len: chars, max });
        }
        if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
            return Err(Error::InvalidValue {
                field: self.label(),
                problem: "control_characters",
                reason: "contains control characters; paste it again as plain text".into(),
            });
        }
        let trimmed = value.trim();
        let one_of = |allowed: &[&str]| -> Result<String> {
            let lower = trimmed.to_ascii_lowercase();
            if lower.is_empty() || allowed.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(Error::InvalidValue {
                    field: self.label(),
                    problem: "not_one_of",
                    reason: format!("'{trimmed}' is not one of: {}", allowed.join(", ")),
                })
            }
        };
        match self {
            CaseField::Country if trimmed.is_empty() => Ok(String::new()),
            CaseField::Country => catalog::country(trimmed)
                .map(|country| country.iso3.clone())
                .ok_or_else(|| Error::UnknownCountry(trimmed.to_owned())),
            CaseField::Language => one_of(LANGUAGES),
            CaseField::GovernmentLevel => one_of(GOVERNMENT_LEVELS),
            CaseField::Stage => one_of(STAGES),
            CaseField::StartYear => match trimmed.parse::<u16>() {
                _ if trimmed.is_empty() => Ok(String::new()),
                Ok(year) if (1950..=2100).contains(&year) => Ok(year.to_string()),
                _ => Err(Error::InvalidValue {
                    field: self.label(),
                    problem: "not_a_year",
                    reason: format!("'{trimmed}' is not a year between 1950 and 2100"),
                }),
            },
            CaseField::Title => Ok(trimmed.to_owned()),
            _ => Ok(value.to_owned()),
        }
    }
}

/// Words as a reader counts them; scripts without spaces (Thai, Lao, Khmer, Chinese) count by
/// characters instead, roughly two to a word, so the advisory limit still means something.
pub fn word_count(text: &str) -> u32 {
    let mut words = 0u32;
    let mut unspaced_chars = 0u32;
    for token in text.split_whitespace() {
        let unspaced = token.chars().filter(|c| is_unspaced_script(*c)).count() as u32;
        if unspaced > 0 {
            unspaced_chars += unspaced;
            if token.chars().any(|c| c.is_alphanumeric() && !is_unspaced_script(c)) {
                words += 1;
            }
        } else if token.chars().any(char::is_alphanumeric) {
            words += 1;
        }
    }
    words + unspaced_chars.div_ceil(2)
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F   // Thai
        | 0x0E80..=0x0EFF // Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Japanese kana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_through_its_column_name() {
        for field in CaseField::ALL {
            assert_eq!(CaseField::parse(field.column()).unwrap(), field);
            let json = serde_json::to_string(&field).unwrap();
            assert_eq!(json, format!("\"{}\"", field.column()));
        }
        assert_eq!(CaseField::parse("lessons-learned").unwrap(), CaseField::LessonsLearned);
        assert!(CaseField::parse("salary").is_err());
    }

    #[test]
    fn every_field_has_a_label_in_each_ui_language() {
        let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/messages");
        for messages in ["en.json", "fr.json", "ru.json", "zh-Hans.json"] {
            let text = std::fs::read_to_string(ui.join(messages)).unwrap();
            let catalog: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).unwrap();
            for field in CaseField::ALL {
                let key = field.message_key();
                assert!(catalog.contains_key(key), "{messages} has no label {key} for {field:?}");
            }
        }
    }

    #[test]
    fn values_are_checked() {
        assert_eq!(CaseField::Country.normalize(" lao ").unwrap(), "LAO");
        assert!(matches!(CaseField::Country.normalize("XXX"), Err(Error::UnknownCountry(_))));
        assert_eq!(CaseField::StartYear.normalize("2012").unwrap(), "2012");
        assert!(CaseField::StartYear.normalize("12 BC").is_err());
        assert!(CaseField::Stage.normalize("dreaming").is_err());
        assert_eq!(CaseField::GovernmentLevel.normalize("Local").unwrap(), "local");
        assert!(CaseField::Summary.normalize("bell\u{7}").is_err());
        let long = "a".repeat(50_001);
        assert!(matches!(CaseField::Summary.normalize(&long), Err(Error::FieldTooLong { .. })));
    }

    #[test]
    fn words_are_counted_in_spaced_and_unspaced_scripts() {
        assert_eq!(word_count("Mobile birth registration in Bhutan"), 5);
        assert_eq!(word_count("  -- \n"), 0);
        // Lao: 8 characters count as 4 words.
        assert_eq!(word_count("ລັດຖະບານ"), 4);
        assert_eq!(word_count("e-Government 电子政务"), 3);
    }
}
