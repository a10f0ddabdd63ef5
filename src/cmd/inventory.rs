//! `blockscope inventory import`: the inventory from a NetBox or WHMCS CSV export.

use crate::attribute::import::{self, Source};
use crate::cli::{ImportFormat, InventoryImportArgs};
use crate::error::{ConfigError, Error, Result, EXIT_OK};
use std::io::Write;

/// Convert `args.file`; write the inventory to `--out` (atomically) or to `w`. Nothing is
/// written when a row cannot be converted: an inventory missing a VPS misattributes its mail.
pub(crate) fn run(args: &InventoryImportArgs, w: &mut dyn Write) -> Result<i32> {
    let problem = |problem: String| ConfigError::InventoryImport {
        file: args.file.clone(),
        problem,
    };
    let text = std::fs::read(&args.file).map_err(|e| problem(e.to_string()))?;
    let text = String::from_utf8_lossy(&text);
    let source = match args.format {
        ImportFormat::Netbox => Source::Netbox,
        ImportFormat::Whmcs => Source::Whmcs,
    };
    let imported = import::import(source, &text).map_err(problem)?;
    if !imported.problems.is_empty() {
        return Err(problem(format!(
            "{} row(s) cannot be converted, so no inventory was written:\n  {}",
            imported.problems.len(),
            imported.problems.join("\n  ")
        ))
        .into());
    }
    if imported.rows.is_empty() {
        return Err(problem("no row names a VM and a customer; nothing to write".into()).into());
    }
    match &args.out {
        Some(path) => {
            crate::fsio::write_atomically_public(path, |out| import::write(&imported.rows, out))
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?
        }
        None => import::write(&imported.rows, w).map_err(super::stdout_error)?,
    }
    if !args.quiet {
        let vpses: std::collections::BTreeSet<&str> =
            imported.rows.iter().map(|r| r.vps_id.as_str()).collect();
        eprintln!(
            "blockscope: {} address(es) of {} VPS(es) imported from {}",
            imported.rows.len(),
            vpses.len(),
            args.file.display()
        );
        for (why, n) in &imported.left_out {
            eprintln!("  left out {n} row(s): {why}");
        }
    }
    Ok(EXIT_OK)
}
