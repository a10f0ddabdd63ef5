//! A closed stdout pipe (`blockscope explain … | head -1`) is not an error: every command that
//! prints to stdout stops quietly with exit 0 (README.md, "Exit codes").

use super::*;

/// The commands that print to stdout, with the smallest real inputs each prints something for.
fn printing_commands(fleet: &Fleet) -> Vec<(&'static str, Command)> {
    let mut rules = blockscope();
    rules.args(["rules", "--format", "table"]);
    let mut classify = blockscope();
    classify.arg("classify").args([S3140_RFC3164; 200]);
    let mut explain = blockscope();
    explain
        .args(["explain", "198.51.100.7", "--threads", "1", "--inventory"])
        .arg(fleet.path("inventory.csv"))
        .arg("--logs")
        .arg(fleet.path("logs"));
    let mut attest = blockscope();
    attest
        .args(["attest", "--inventory"])
        .arg(fleet.path("inventory.csv"));
    vec![
        ("rules", rules),
        ("classify", classify),
        ("explain", explain),
        ("attest", attest),
    ]
}

/// The reader gone before the first write: every write fails with EPIPE.
#[test]
fn a_reader_that_is_already_gone_is_not_an_error() {
    let fleet = Fleet::one_s3140();
    for (name, mut cmd) in printing_commands(&fleet) {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
    }
}

/// `| head -1` as a shell runs it: blockscope's own exit status (pipefail) is 0, whether or not
/// head left before it finished writing, and head printed the first line.
#[test]
fn piping_into_head_exits_zero() {
    let fleet = Fleet::one_s3140();
    for (name, cmd) in printing_commands(&fleet) {
        let line: Vec<String> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect();
        let line = line.join(" ");
        let out = Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {line} | head -1")])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            1,
            "{name}"
        );
    }
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
