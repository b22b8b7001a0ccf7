//! Damages a real store file as a bad sector would. Shared by the desk-core, CLI and e2e tests
//! (included with `#[path]`), so each damages the file the same way.

use std::path::Path;

/// Overwrites the cases table's root page and two pages in the middle of the file with garbage;
/// the header stays, so SQLite still opens the file and only a check or a read finds the damage.
pub fn damage_store_file(db: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let (page_size, root) = {
        let conn = rusqlite::Connection::open(db)?;
        let page_size: u32 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let sql = "SELECT rootpage FROM sqlite_schema WHERE name = 'cases'";
        let root: u32 = conn.query_row(sql, [], |r| r.get(0))?;
        (u64::from(page_size), u64::from(root))
    };
    let mut bytes = std::fs::read(db)?;
    let pages = bytes.len() as u64 / page_size;
    if pages <= 8 {
        return Err(format!("the store is too small to damage in the middle: {pages} pages").into());
    }
    for page in [root, pages / 2, pages / 2 + 1] {
        let start = ((page - 1) * page_size) as usize;
        for (n, byte) in bytes[start..start + page_size as usize].iter_mut().enumerate() {
            *byte = ((n as u64 + page).wrapping_mul(2_654_435_761) >> 13) as u8;
        }
    }
    std::fs::write(db, bytes)?;
    Ok(())
}
