//! The architecture as a test: the import graph among `src/` modules has no cycle, and no source
//! file grows past the size a reader can hold in mind.
//!
//! Edges are read from the source text: every `crate::<module>` path (including each item of a
//! `use crate::{a::X, b}` group) in a file under `src/<module>` is an edge `<module> -> <other>`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    source_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    files
}

/// `src/ingest/postfix.rs` -> `ingest`; `src/config.rs` -> `config`.
fn top_module(path: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a text names through `crate::` paths.
fn referenced_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 1 => {
                        item_start = false;
                        let name = ident_at(&group[i..]);
                        if !name.is_empty() && name != "self" {
                            found.insert(name.to_string());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

fn module_graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in src_files() {
        let module = top_module(&file);
        if module == "lib" || module == "main" {
            continue;
        }
        let text = without_comments(&fs::read_to_string(&file).unwrap());
        let edges = graph.entry(module.clone()).or_default();
        for target in referenced_modules(&text) {
            if target != module {
                let name = file.file_name().unwrap().to_string_lossy().to_string();
                edges.entry(target).or_default().insert(name);
            }
        }
    }
    graph
}

/// A cycle through the graph, if there is one, as the list of modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_module_imports_have_no_cycle() {
    let graph = module_graph();
    assert!(graph.contains_key("ingest") && graph.contains_key("report"));
    if let Some(cycle) = find_cycle(&graph) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| {
                let files = &graph[&w[0]][&w[1]];
                format!(
                    "{} -> {} (in {})",
                    w[0],
                    w[1],
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        panic!("import cycle among src/ modules:\n  {}", steps.join("\n  "));
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (a, b) in [
        ("ingest", "model"),
        ("aggregate", "model"),
        ("model", "ingest"),
    ] {
        graph
            .entry(a.into())
            .or_default()
            .entry(b.into())
            .or_default();
    }
    let cycle = find_cycle(&graph).expect("model <-> ingest is a cycle");
    assert_eq!(cycle.first(), cycle.last(), "a cycle ends where it starts");
    let nodes: BTreeSet<&str> = cycle.iter().map(String::as_str).collect();
    assert_eq!(nodes, BTreeSet::from(["ingest", "model"]));
    graph.get_mut("model").unwrap().clear();
    assert_eq!(find_cycle(&graph), None);
    let parsed = referenced_modules("use crate::{\n  model::{Stats, Partial},\n  error::Error, self};\nlet x = crate::classify::matching_text(r);");
    assert_eq!(
        parsed,
        ["classify", "error", "model"].map(String::from).into()
    );
}

#[test]
fn no_source_file_is_over_800_lines() {
    let long: Vec<String> = src_files()
        .into_iter()
        .filter_map(|f| {
            let lines = fs::read_to_string(&f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these files (at most {MAX_LINES} lines each): {long:?}"
    );
}
