//! The sections of a case study (after UN Public Service Awards and OECD OPSI practice; see
//! `shared/reference/case_fields.md` section 7) with their advisory limits and hard caps.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CaseField {
    Title,
    Country,
    Language,
    GovernmentLevel,
    Institutions,
    Partners,
    StartYear,
    Stage,
    Themes,
    Summary,
    Problem,
    Solution,
    Innovation,
    Objectives,
    Stakeholders,
    Implementation,
    Resources,
    IctComponents,
    Results,
    Obstacles,
    Sustainability,
    Transferability,
    LessonsLearned,
    RelatedPolicy,
    Links,
}

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

pub const GOVERNMENT_LEVELS: &[&str] = &["national", "subnational", "local"];
pub const STAGES: &[&str] = &["planned", "pilot", "implemented", "scaled", "completed"];
pub const LANGUAGES: &[&str] = &["en", "fr", "es", "ru", "zh", "ar"];

impl CaseField {
    pub const ALL: [CaseField; 25] = [
        CaseField::Title,
        CaseField::Country,
        CaseField::Language,
        CaseField::GovernmentLevel,
        CaseField::Institutions,
        CaseField::Partners,
        CaseField::StartYear,
        CaseField::Stage,
        CaseField::Themes,
        CaseField::Summary,
        CaseField::Problem,
        CaseField::Solution,
        CaseField::Innovation,
        CaseField::Objectives,
        CaseField::Stakeholders,
        CaseField::Implementation,
        CaseField::Resources,
        CaseField::IctComponents,
        CaseField::Results,
        CaseField::Obstacles,
        CaseField::Sustainability,
        CaseField::Transferability,
        CaseField::LessonsLearned,
        CaseField::RelatedPolicy,
        CaseField::Links,
    ];

    /// The column in `cases`; also the field's name on the wire and on the command line.
    pub fn column(self) -> &'static str {
        match self {
            CaseField::Title => "title",
            CaseField::Country => "country",
            CaseField::Language => "language",
            CaseField::GovernmentLevel => "government_level",
            CaseField::Institutions => "institutions",
            CaseField::Partners => "partners",
            CaseField::StartYear => "start_year",
            CaseField::Stage => "stage",
            CaseField::Themes => "themes",
            CaseField::Summary => "summary",
            CaseField::Problem => "problem",
            CaseField::Solution => "solution",
            CaseField::Innovation => "innovation",
            CaseField::Objectives => "objectives",
            CaseField::Stakeholders => "stakeholders",
            CaseField::Implementation => "implementation",
            CaseField::Resources => "resources",
            CaseField::IctComponents => "ict_components",
            CaseField::Results => "results",
            CaseField::Obstacles => "obstacles",
            CaseField::Sustainability => "sustainability",
            CaseField::Transferability => "transferability",
            CaseField::LessonsLearned => "lessons_learned",
            CaseField::RelatedPolicy => "related_policy",
            CaseField::Links => "links",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseField::Title => "Title",
            CaseField::Country => "Country",
            CaseField::Language => "Language",
            CaseField::GovernmentLevel => "Level of government",
            CaseField::Institutions => "Implementing institution(s)",
            CaseField::Partners => "Partners",
            CaseField::StartYear => "Start year",
            CaseField::Stage => "Stage",
            CaseField::Themes => "Themes",
            CaseField::Summary => "Summary",
            CaseField::Problem => "Problem",
            CaseField::Solution => "Solution",
            CaseField::Innovation => "Innovation",
            CaseField::Objectives => "Objectives and strategy",
            CaseField::Stakeholders => "Stakeholders and beneficiaries",
            CaseField::Implementation => "Implementation",
            CaseField::Resources => "Resources",
            CaseField::IctComponents => "ICT components",
            CaseField::Results => "Results and impact",
            CaseField::Obstacles => "Obstacles",
            CaseField::Sustainability => "Sustainability",
            CaseField::Transferability => "Transferability",
            CaseField::LessonsLearned => "Lessons learned",
            CaseField::RelatedPolicy => "Related policy or legislation",
            CaseField::Links => "Links",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        let wanted = name.trim().replace('-', "_").to_ascii_lowercase();
        CaseField::ALL
            .into_iter()
            .find(|field| field.column() == wanted)
            .ok_or_else(|| Error::UnknownField(name.to_owned()))
    }

    pub fn limits(self) -> FieldLimits {
        let words = |n| FieldLimits {
            advisory_words: Some(n),
            advisory_chars: None,
            max_chars: LONG_TEXT_MAX,
        };
        let short =
            FieldLimits { advisory_words: None, advisory_chars: None, max_chars: SHORT_TEXT_MAX };
        match self {
            CaseField::Title => FieldLimits { advisory_chars: Some(150), ..short },
            CaseField::Country
            | CaseField::Language
            | CaseField::GovernmentLevel
            | CaseField::StartYear
            | CaseField::Stage => short,
            CaseField::Institutions | CaseField::Partners | CaseField::Themes => {
                FieldLimits { max_chars: 5_000, ..short }
            }
            CaseField::Summary => words(300),
            CaseField::Problem => words(300),
            CaseField::Solution => words(400),
            CaseField::Innovation => words(200),
            CaseField::Objectives => words(200),
            CaseField::Stakeholders => words(200),
            CaseField::Implementation => words(400),
            CaseField::Resources => words(200),
            CaseField::IctComponents => words(200),
            CaseField::Results => words(250),
            CaseField::Obstacles => words(200),
            CaseField::Sustainability => words(300),
            CaseField::Transferability => words(200),
            CaseField::LessonsLearned => words(300),
            CaseField::RelatedPolicy => words(200),
            CaseField::Links => FieldLimits { max_chars: 20_000, ..short },
        }
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
