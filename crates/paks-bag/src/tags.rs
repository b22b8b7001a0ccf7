//! Tag files (`bagit.txt`, `bag-info.txt`): `Label: value` lines, a value continued on lines
//! that start with white space (RFC 8493 §2.2.2).

use crate::error::{BagError, Result};

/// The labels and values of a tag file, in file order (a label may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<(String, String)>);

impl Tags {
    /// The first value of `label` (labels compare case-insensitively).
    pub fn get(&self, label: &str) -> Option<&str> {
        self.0.iter().find(|(l, _)| l.eq_ignore_ascii_case(label)).map(|(_, v)| v.as_str())
    }

    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut tags: Vec<(String, String)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let syntax = |reason: &str| BagError::TagSyntax {
                file: file.to_owned(),
                line: i + 1,
                reason: reason.to_owned(),
            };
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let (_, value) = tags.last_mut().ok_or_else(|| syntax("continues no label"))?;
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            let (label, value) =
                line.split_once(':').ok_or_else(|| syntax("expected \"Label: value\""))?;
            if label.trim().is_empty() {
                return Err(syntax("the label is empty"));
            }
            tags.push((label.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Tags(tags))
    }

    pub fn format(&self) -> String {
        self.0.iter().map(|(l, v)| format!("{l}: {}\n", one_line(v))).collect()
    }
}

/// Values are written on one line: line breaks inside them become spaces.
fn one_line(value: &str) -> String {
    value.split(['\r', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_the_value_and_labels_ignore_case() {
        let tags = Tags::parse("bag-info.txt", "Contact-Name: Souphanh\n  K.\nBag-Size: 1 MB\n")
            .expect("parses");
        assert_eq!(tags.get("contact-name"), Some("Souphanh K."));
        assert_eq!(tags.get("Bag-Size"), Some("1 MB"));
        let err = Tags::parse("bag-info.txt", "no colon here\n").expect_err("refused");
        assert!(err.to_string().contains("bag-info.txt line 1"), "{err}");
    }

    #[test]
    fn values_with_line_breaks_are_written_on_one_line() {
        let tags = Tags(vec![("Source-Organization".into(), "Ministry\nof ICT".into())]);
        assert_eq!(tags.format(), "Source-Organization: Ministry of ICT\n");
    }
}
