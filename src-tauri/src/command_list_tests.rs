//! The command list in `command_list.rs` against the two files that must agree with it by hand:
//! the capability (what may be invoked) and the UI's typed client (what is invoked).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::COMMANDS;

/// Core permissions the window holds besides the app's commands: listening to the app's events.
const CORE_PERMISSIONS: &[&str] = &["core:event:allow-listen", "core:event:allow-unlisten"];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn no_duplicates(what: &str, names: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(set.len(), names.len(), "{what} names something twice: {names:?}");
    set
}

fn listed() -> BTreeSet<String> {
    let names: Vec<String> = COMMANDS.iter().map(|name| (*name).to_owned()).collect();
    no_duplicates("command_list.rs", &names)
}

fn assert_same(what: &str, found: &BTreeSet<String>, expected: &BTreeSet<String>) {
    let missing: Vec<_> = expected.difference(found).collect();
    let extra: Vec<_> = found.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what} disagrees with command_list.rs: missing {missing:?}, not listed there {extra:?}"
    );
}

/// The command names passed as a string literal to `call<…>('name'…)`.
fn invoked_in(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in source.match_indices("call<") {
        if source[..at].ends_with("function ") {
            continue;
        }
        let rest = &source[at + "call<".len()..];
        let mut depth = 1;
        let close = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("an unclosed call<… in ipc.ts: {rest:.40}"));
        let name = rest[close + 1..]
            .strip_prefix("('")
            .and_then(|after| after.split_once('\''))
            .map(|(name, _)| name)
            .unwrap_or_else(|| panic!("a call whose command is not a literal: {rest:.60}"));
        names.push(name.to_owned());
    }
    names
}

#[test]
fn the_capability_allows_exactly_the_listed_commands_and_listening_to_events() {
    let path = manifest_dir().join("capabilities/default.json");
    let capability: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
    let granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|permission| permission.as_str().unwrap().to_owned())
        .collect();
    let granted = no_duplicates("capabilities/default.json", &granted);

    let mut expected: BTreeSet<String> =
        listed().iter().map(|name| format!("allow-{}", name.replace('_', "-"))).collect();
    expected.extend(CORE_PERMISSIONS.iter().map(|permission| (*permission).to_owned()));
    assert_same("capabilities/default.json", &granted, &expected);
}

#[test]
fn the_ui_client_invokes_exactly_the_listed_commands() {
    let ipc = read(manifest_dir().join("../ui/src/lib/ipc.ts"));
    let invoked = no_duplicates("ui/src/lib/ipc.ts", &invoked_in(&ipc));
    assert_same("ui/src/lib/ipc.ts", &invoked, &listed());
}

#[test]
fn only_the_ui_client_invokes_commands() {
    let mut folders = vec![manifest_dir().join("../ui/src")];
    let mut invoking = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                folders.push(path);
            } else if !name.contains(".test.")
                && name != "ipc.ts"
                && read(path.clone()).contains("@tauri-apps/api/core")
            {
                invoking.push(path);
            }
        }
    }
    assert!(invoking.is_empty(), "commands are invoked only through ipc.ts: {invoking:?}");
}

#[test]
fn the_call_scanner_reads_nested_types_and_skips_the_definition() {
    let source = "export async function call<T>(command: string) {}\n\
                  a: () => call<Array<Record<string, X>> | null>('a_b', { id }),\n  b: () =>\n    call<null>('c');";
    assert_eq!(invoked_in(source), ["a_b", "c"]);
}
