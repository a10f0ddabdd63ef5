//! Every subcommand's `--help` ends with examples (the ripgrep/fd habit), and every flag an
//! example uses is one that subcommand accepts: an example that fails when pasted is a bug.

use super::*;

const SUBCOMMANDS: [&str; 13] = [
    "run",
    "check-config",
    "ingest",
    "report",
    "rules",
    "classify",
    "attest",
    "explain",
    "snds",
    "snds fetch",
    "dnsbl",
    "completions",
    "man",
];

/// A group's examples run its subcommand, with the subcommand's flags.
const GROUPS: [(&str, &str); 1] = [("snds", "snds fetch")];

fn help(subcommand: &str) -> String {
    let out = blockscope()
        .args(subcommand.split(' '))
        .arg("--help")
        .output()
        .unwrap();
    ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_help_ends_with_examples_that_use_real_flags() {
    for sub in SUBCOMMANDS {
        let text = help(sub);
        let (options, examples) = text
            .split_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("`{sub} --help` has no examples:\n{text}"));
        let options = match GROUPS.iter().find(|(group, _)| *group == sub) {
            Some((_, leaf)) => {
                let leaf = help(leaf);
                let leaf_options = leaf.split_once("\nExamples:\n").map_or("", |(o, _)| o);
                format!("{options}{leaf_options}")
            }
            None => options.to_string(),
        };
        let lines: Vec<&str> = examples.lines().collect();
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with(&format!("blockscope {sub}"))),
            "`{sub}` examples do not run `blockscope {sub}`:\n{examples}"
        );
        for flag in examples
            .split_whitespace()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.trim_end_matches(['\'', '"', ')', ',']))
        {
            assert!(
                options.contains(&format!("{flag} ")) || options.contains(&format!("{flag}\n")),
                "`{sub}` example uses {flag}, which `{sub} --help` does not list"
            );
        }
    }
}
