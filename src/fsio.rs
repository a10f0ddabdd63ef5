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

/// Why a secret file (an SNDS or DQS key) gave no key.
#[derive(Debug)]
pub(crate) enum SecretError {
    Unreadable(std::io::Error),
    /// No non-empty line.
    Empty,
}

/// A key file as the key readers take it: its first non-empty line, trimmed (a byte-order mark
/// too), and a warning when group or others may read the file (as ssh warns for a key).
/// `flag` and `what` name the file and its key in the warning.
pub(crate) fn read_secret_line(
    path: &Path,
    flag: &str,
    what: &str,
) -> Result<(String, Option<String>), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let bytes = std::fs::read(path).map_err(SecretError::Unreadable)?;
    let text = String::from_utf8_lossy(&bytes);
    let value = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .find(|l| !l.is_empty())
        .ok_or(SecretError::Empty)?
        .to_string();
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    let warning = (mode & 0o077 != 0).then(|| {
        format!(
            "{flag} {}: readable by other users (mode {mode:04o}); `chmod 600 {0}` keeps the {what} to its owner",
            path.display()
        )
    });
    Ok((value, warning))
}
