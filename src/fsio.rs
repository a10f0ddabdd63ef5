//! File-system helpers every stage that writes shares (reports, state, day files, partials); at
//! the bottom of the module graph with `error` and `model`, importing nothing from the crate.

use std::io::Write;
use std::path::Path;

/// Write a small file atomically (temp file in the same directory, then rename).
pub(crate) fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    body(&mut tmp)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
