//! The SNDS automated-access key: the first non-empty line of `--key-file`, trimmed. It goes
//! into the request URL and nowhere else: `Debug` shows `Key(…)`, and `redact` cuts it out of
//! any text that came back (a server's error, a page that echoes the URL).

use crate::error::FetchError;
use std::path::Path;

pub(crate) struct Key {
    value: String,
    /// Said on stderr when the key file is readable by other users (as ssh does for a key).
    pub(crate) warning: Option<String>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub(crate) fn read(path: &Path) -> Result<Key, FetchError> {
        let (value, warning) = crate::fsio::read_secret_line(path, "--key-file", "SNDS key")
            .map_err(|e| match e {
                crate::fsio::SecretError::Unreadable(error) => FetchError::KeyFileUnreadable {
                    path: path.to_path_buf(),
                    error,
                },
                crate::fsio::SecretError::Empty => FetchError::KeyFileEmpty {
                    path: path.to_path_buf(),
                },
            })?;
        if let Some(what) = malformed(&value) {
            return Err(FetchError::KeyMalformed {
                path: path.to_path_buf(),
                what,
            });
        }
        Ok(Key { value, warning })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }

    /// `text` with every occurrence of the key replaced by `…`.
    pub(crate) fn redact(&self, text: &str) -> String {
        text.replace(&self.value, "…")
    }
}

/// What is wrong with a key that has characters outside `[A-Za-z0-9-]`, without repeating the
/// key (only the one character that cannot be part of it).
fn malformed(key: &str) -> Option<String> {
    let bad = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))?;
    Some(if key.contains("://") || key.contains('=') {
        "a URL or `key=`: put the key alone on the line".to_string()
    } else if bad.is_whitespace() {
        "a space: put the key alone on the line".to_string()
    } else {
        format!("{bad:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const KEY: &str = "0d1c2b3a-4e5f-6789-abcd-ef0123456789";

    fn key_file(text: &str, mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snds.key");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    #[test]
    fn the_first_non_empty_line_trimmed() {
        let (_d, path) = key_file(&format!("\u{feff}\r\n  {KEY} \r\n# a note\n"), 0o600);
        let key = Key::read(&path).unwrap();
        assert_eq!(key.as_str(), KEY);
        assert!(key.warning.is_none());
        assert_eq!(format!("{key:?}"), "Key(…)");
        assert_eq!(
            key.redact(&format!("bad uri: /snds/data.aspx?key={KEY}&date=1")),
            "bad uri: /snds/data.aspx?key=…&date=1"
        );
    }

    #[test]
    fn missing_empty_and_malformed_keys_are_refused_without_showing_the_key() {
        let (_d, path) = key_file(" \n\n", 0o600);
        assert!(matches!(
            Key::read(&path),
            Err(FetchError::KeyFileEmpty { .. })
        ));
        assert!(matches!(
            Key::read(&path.with_file_name("missing")),
            Err(FetchError::KeyFileUnreadable { .. })
        ));
        for (text, what) in [
            (format!("{KEY} x"), "a space"),
            (format!("{KEY}%"), "'%'"),
            (format!("https://snds.example/data.aspx?key={KEY}"), "a URL"),
        ] {
            let (_d, path) = key_file(&text, 0o600);
            let e = Key::read(&path).unwrap_err().to_string();
            assert!(e.contains(what) && !e.contains(KEY), "{e}");
            assert!(e.contains("auto.aspx"), "{e}");
        }
    }

    #[test]
    fn a_key_file_others_may_read_is_warned_about() {
        let (_d, path) = key_file(KEY, 0o644);
        let w = Key::read(&path).unwrap().warning.unwrap();
        assert!(w.contains("mode 0644") && w.contains("chmod 600"), "{w}");
    }
}
