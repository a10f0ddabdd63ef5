//! One libFuzzer target for every parser: the first byte picks the parser, the rest is its input.
//!
//!     cargo +nightly fuzz run parsers -- -max_total_time=600
#![no_main]

use blockscope::ingest::{detect_format, parse_line, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 6 {
        0 => {
            for line in text.lines() {
                let _ = parse_line(Format::Syslog, line);
            }
            let _ = detect_format(text.lines());
        }
        1 => {
            for line in text.lines() {
                let _ = parse_line(Format::EximMainlog, line);
            }
        }
        2 => {
            let mut snds = blockscope::model::snds::Snds::default();
            let mut problems = Vec::new();
            blockscope::ingest::snds::load_file("snds.csv", &text, &mut snds, &mut problems);
        }
        3 => {
            let _ = blockscope::attribute::inventory::Inventory::from_reader(
                std::path::Path::new("inventory.csv"),
                rest,
            );
        }
        4 => {
            let _ = blockscope::classify::rules::parse_rules("rules.toml", &text);
        }
        _ => {
            let _ = blockscope::config::check_config_text("blockscope.toml", &text);
        }
    }
});
