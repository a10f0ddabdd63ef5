//! The delisting cases, kept in the state directory (`cases.json`) beside `state.json`: written
//! atomically, by `case` and by the nightly run, each holding the state directory's lock.

use crate::error::{Error, Result};
use crate::model::case::Cases;
use std::path::{Path, PathBuf};

const FILE: &str = "cases.json";
pub(crate) const VERSION: u32 = 1;

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The cases; no file is no case yet, a corrupt one an error naming the file and line.
pub(crate) fn load(dir: &Path) -> Result<Cases> {
    let file = path(dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Cases {
                version: VERSION,
                cases: Vec::new(),
            })
        }
        Err(source) => return Err(Error::Output { path: file, source }),
    };
    let cases: Cases = serde_json::from_str(&text).map_err(|e| {
        Error::Config(format!(
            "{}:{}: the delisting cases cannot be read ({e}); fix the line, or restore the file from a backup (`blockscope case list` reads it)",
            file.display(),
            e.line()
        ))
    })?;
    if cases.version != VERSION {
        return Err(Error::Config(format!(
            "{}: cases version {} is not one this blockscope reads ({VERSION})",
            file.display(),
            cases.version
        )));
    }
    Ok(cases)
}

/// Write the cases atomically: a reader sees the old file or the new one, never half of one.
pub(crate) fn save(dir: &Path, cases: &Cases) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        source,
    })?;
    let file = path(dir);
    let mut cases = cases.clone();
    cases.version = VERSION;
    crate::fsio::write_atomically(&file, |w| {
        serde_json::to_writer_pretty(&mut *w, &cases).map_err(std::io::Error::other)?;
        writeln!(w)
    })
    .map_err(|source| Error::Output { path: file, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_no_case_and_a_corrupt_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().cases.is_empty());
        std::fs::write(
            path(dir.path()),
            "{\n \"version\": 1,\n \"cases\": [x]\n}\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("cases.json:3:"), "{e}");
    }
}
