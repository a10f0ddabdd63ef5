//! File-system helpers every stage that writes shares (reports, state, day files, partials); at
//! the bottom of the module graph with `error` and `model`, importing nothing from the crate.

use std::io::Write;
use std::path::Path;

/// Write a small file atomically (temp file in the same directory, then rename); readable by its
/// owner only, like the temp file it was.
pub(crate) fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_atomically_with_mode(path, None, None, body)
}

/// `write_atomically` for a file other users read (the metrics textfile node_exporter collects,
/// running as its own user): mode 0644 whatever the umask.
pub(crate) fn write_atomically_public(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_atomically_with_mode(path, Some(0o644), None, body)
}

/// `write_atomically_public` with the temp file in `tmp_dir` (on the file system of `path`): for
/// a directory whose every file is someone's input (the SNDS exports `run --snds` reads), where
/// even the temp file of a killed process must not lie among them.
pub(crate) fn write_atomically_public_via(
    path: &Path,
    tmp_dir: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_atomically_with_mode(path, Some(0o644), Some(tmp_dir), body)
}

fn write_atomically_with_mode(
    path: &Path,
    mode: Option<u32>,
    tmp_dir: Option<&Path>,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match (tmp_dir, path.parent()) {
        (Some(t), _) => t,
        (None, Some(p)) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    body(&mut tmp)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
