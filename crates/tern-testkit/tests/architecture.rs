//! The dependency rules of docs/ARCHITECTURE.md, checked: crates depend only on crates below
//! them, the rules core and the use cases stay free of what they must not know, only the
//! binaries and the test kit pick a store backend, the document names every crate, and no two
//! files of a crate import each other, directly or round a loop.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

/// Every workspace crate, lowest first: a crate may depend only on crates of a lower layer.
const LAYERS: &[&[&str]] = &[
    &["tern-domain"],
    &["tern-store", "tern-delivery"],
    &["tern-store-sql"],
    &["tern-store-sqlite", "tern-store-postgres", "tern-app"],
    &["tern-sending", "tern-panel"],
    &["tern-http"],
    &["tern-testkit"],
    &["tern-cli", "tern-bench"],
];

const BACKENDS: &[&str] = &["tern-store-sqlite", "tern-store-postgres"];
const PICK_A_BACKEND: &[&str] = &["tern-cli", "tern-bench", "tern-testkit"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cargo(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Each workspace crate's direct dependencies on other workspace crates, with their kind
/// (`normal`, `dev`, `build`).
fn workspace() -> BTreeMap<String, Vec<(String, String)>> {
    let metadata: Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--no-deps"]))
            .expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter_map(|d| {
                    let name = d["name"].as_str()?;
                    let kind = d["kind"].as_str().unwrap_or("normal");
                    names
                        .contains(name)
                        .then(|| (name.to_owned(), kind.to_owned()))
                })
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

/// Every package a crate's program links, however indirectly (host platform, no dev-deps).
fn linked(krate: &str) -> BTreeSet<String> {
    cargo(&[
        "tree", "-p", krate, "-e", "normal", "--prefix", "none", "-f", "{p}",
    ])
    .lines()
    .filter_map(|line| line.split_whitespace().next())
    .map(str::to_owned)
    .collect()
}

fn layer(krate: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&krate))
        .unwrap_or_else(|| panic!("{krate} is in no layer of LAYERS: place it"))
}

#[test]
fn crates_depend_only_downwards_and_only_the_binaries_pick_a_backend() {
    let crates = workspace();
    let mut wrong = Vec::new();
    for (krate, deps) in &crates {
        for (dep, kind) in deps {
            if kind != "dev" && layer(dep) >= layer(krate) {
                wrong.push(format!("{krate} -> {dep} ({kind}) does not point down"));
            }
            if kind == "normal"
                && BACKENDS.contains(&dep.as_str())
                && !PICK_A_BACKEND.contains(&krate.as_str())
            {
                wrong.push(format!("{krate} picks the backend {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_core_links_no_io_and_the_use_cases_and_workers_no_web_stack() {
    let rules: &[(&str, &[&str])] = &[
        (
            "tern-domain",
            &[
                "tokio",
                "sqlx",
                "axum",
                "reqwest",
                "hyper",
                "object_store",
                "tern-store",
            ],
        ),
        (
            "tern-app",
            &[
                "axum",
                "minijinja",
                "utoipa-axum",
                "tern-http",
                "tern-panel",
                "tern-sending",
            ],
        ),
        (
            "tern-sending",
            &[
                "axum",
                "minijinja",
                "utoipa-axum",
                "tern-http",
                "tern-panel",
            ],
        ),
        ("tern-panel", &["tern-http", "tern-sending", "utoipa-axum"]),
    ];
    let mut wrong = Vec::new();
    for (krate, forbidden) in rules {
        let linked = linked(krate);
        for name in forbidden.iter().filter(|name| linked.contains(**name)) {
            wrong.push(format!("{krate} links {name}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_architecture_document_names_every_crate() {
    let document = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("read");
    let missing: Vec<String> = workspace()
        .into_keys()
        .filter(|krate| !document.contains(&format!("crates/{krate}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md does not name {missing:?}"
    );
}

/// The module file a path names, from `src`: the longest prefix that is a file.
fn module_file(src: &Path, segments: &[&str]) -> Option<PathBuf> {
    (1..=segments.len()).rev().find_map(|n| {
        let base = src.join(segments[..n].join("/"));
        [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|f| f.is_file())
    })
}

/// The files a file's code names through `crate::` and `super::` paths, unit tests aside. A
/// path that ends at a `mod.rs` or `lib.rs` (a re-export) is not followed: those files gather,
/// they do not depend.
fn imports(src: &Path, file: &Path) -> BTreeSet<PathBuf> {
    let text = std::fs::read_to_string(file).expect("read");
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let here: Vec<String> = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| s != "mod")
        .collect();
    let is_mod = file.ends_with("mod.rs") || file.ends_with("lib.rs");
    let parent: Vec<&str> = if is_mod {
        here.iter().map(String::as_str).collect()
    } else {
        here[..here.len().saturating_sub(1)]
            .iter()
            .map(String::as_str)
            .collect()
    };
    let mut found = BTreeSet::new();
    // Paths written out, and the first segment of each item in `use crate::{…}` groups.
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let mut paths = Vec::new();
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find("};").unwrap_or(group.len());
                for item in group[..end].split(',') {
                    paths.push(item.trim().replace(['{', '}'], "").to_owned());
                }
            } else {
                paths.push(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect(),
                );
            }
            for path in paths {
                let segments: Vec<&str> = base
                    .iter()
                    .copied()
                    .chain(path.split("::").filter(|s| !s.is_empty()))
                    .collect();
                if let Some(target) = module_file(src, &segments)
                    && target != file
                    && !target.ends_with("mod.rs")
                    && !target.ends_with("lib.rs")
                {
                    found.insert(target);
                }
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A loop in `graph` through `start`, if any.
fn cycle_from(
    graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    start: &PathBuf,
    at: &PathBuf,
    path: &mut Vec<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
) -> Option<Vec<PathBuf>> {
    for next in graph.get(at).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.clone());
            return Some(cycle);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(cycle) = cycle_from(graph, start, next, path, seen) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_two_files_of_a_crate_import_each_other() {
    let mut loops = Vec::new();
    for krate in workspace().into_keys() {
        let src = root().join("crates").join(&krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = files
            .iter()
            .map(|f| (f.clone(), imports(&src, f)))
            .collect();
        for file in &files {
            let mut path = vec![file.clone()];
            if let Some(cycle) = cycle_from(&graph, file, file, &mut path, &mut BTreeSet::new()) {
                let names: Vec<String> = cycle
                    .iter()
                    .map(|f| f.strip_prefix(&src).unwrap_or(f).display().to_string())
                    .collect();
                loops.push(format!("{krate}: {}", names.join(" -> ")));
            }
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}
