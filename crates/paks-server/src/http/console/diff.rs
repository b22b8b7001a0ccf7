//! What changed between two versions of a case: every field of the case documents, flattened
//! to paths (`mdg_links[0].note`), whose value differs.

use std::collections::BTreeMap;

use serde_json::Value;

/// Fields that differ by nature between versions.
const NOT_COMPARED: &[&str] = &["version", "replaces"];

#[derive(Debug, PartialEq, Eq)]
pub struct ChangedField {
    pub path: String,
    /// `None`: the field was absent on that side.
    pub old: Option<String>,
    pub new: Option<String>,
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&path, v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Null => {}
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The changed fields from `old` to `new` (two case documents), in path order.
pub fn changed_fields(old: &Value, new: &Value) -> Vec<ChangedField> {
    let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
    flatten("", old, &mut before);
    flatten("", new, &mut after);
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| !NOT_COMPARED.contains(&p.as_str()))
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| ChangedField {
            path: p.clone(),
            old: before.get(p).cloned(),
            new: after.get(p).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_changed_added_and_removed_fields_but_not_the_version() {
        let old = json!({"version": 1, "title": "A", "summary": "same",
            "mdg_links": [{"target": "1.A", "note": "old note"}], "partners": ["UNDP"]});
        let new = json!({"version": 2, "title": "B", "summary": "same",
            "mdg_links": [{"target": "1.A", "note": "new note"}, {"target": "2.A", "note": ""}]});
        let changes = changed_fields(&old, &new);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "mdg_links[0].note",
                "mdg_links[1].note",
                "mdg_links[1].target",
                "partners[0]",
                "title"
            ]
        );
        assert_eq!(changes[0].old.as_deref(), Some("old note"));
        assert_eq!(changes[0].new.as_deref(), Some("new note"));
        assert_eq!(changes[3].new, None);
        assert_eq!(changes[2].old, None);
    }
}
