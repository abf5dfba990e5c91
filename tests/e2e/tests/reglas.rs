//! The written rules of the codebase (ARCHITECTURE.md, «Invariantes»), kept by tests:
//!
//! - only the edge (`shared/spin`, the components) depends on `spin-sdk`, and no domain crate
//!   depends on `avisos-http` (HTTP lives at the edge: `shared/portal` maps refusals to statuses);
//! - each component receives only the Spin variables its code reads (the secrets above all);
//! - no file names a document outside the repository.
//!
//! That every error code is a variant of an enum and is documented in openapi.yaml with its
//! status is kept by `contrato.rs` (`every_error_code_is_documented_with_its_status_where_it_can_happen`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use avisos_host::testing::workspace_root;

/// The workspace's packages: name → (manifest directory relative to the root, the names of its
/// declared dependencies, build and dev ones included).
fn packages() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = root.canonicalize().unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().unwrap());
            let dir = manifest
                .parent()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), (dir, deps))
        })
        .collect()
}

/// The domain crates: what the portal is about, with no notion of HTTP.
const DOMAIN: [&str; 9] = [
    "avisos-acts",
    "avisos-aviso",
    "avisos-notices",
    "avisos-calendar",
    "avisos-certification",
    "avisos-evidence",
    "avisos-kv",
    "avisos-relations",
    "efirma",
];

/// Workspace crates `name` depends on, directly or through other workspace crates.
fn closure(
    packages: &BTreeMap<String, (String, BTreeSet<String>)>,
    name: &str,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(n) = todo.pop() {
        for d in &packages[&n].1 {
            if packages.contains_key(d) && seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn only_the_edge_depends_on_spin_and_the_domain_knows_no_http() {
    let packages = packages();
    for name in DOMAIN {
        assert!(packages.contains_key(name), "{name} is gone: update DOMAIN");
    }
    let mut problems = Vec::new();
    for (name, (dir, deps)) in &packages {
        let edge = dir == "shared/spin"
            || dir.starts_with("functions/")
            || dir.starts_with("tests/components/");
        if deps.contains("spin-sdk") && !edge {
            problems.push(format!(
                "{name} ({dir}) depends on spin-sdk: only shared/spin and the components may"
            ));
        }
    }
    for name in DOMAIN {
        let reach = closure(&packages, name);
        for edge in ["avisos-http", "avisos-portal", "avisos-spin"] {
            if reach.contains(edge) {
                problems.push(format!("the domain crate {name} depends on {edge}"));
            }
        }
    }
    let components = packages
        .values()
        .filter(|(dir, _)| dir.starts_with("functions/"))
        .count();
    assert!(components > 30, "only {components} components found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The configuration variables `avisos_portal::Env::load` reads.
const CONFIGURATION: [&str; 6] = [
    "modo",
    "confianza_efirma",
    "efirma_revocados",
    "analistas",
    "limites",
    "cabecera_cliente",
];

/// The variables a component's code reads, from what it calls: `Env::load` (the
/// configuration), anything that checks a session (`clave_sesion`), anything that seals an acuse
/// (`llave_sello`), anything that checks a service password (`clave_contrasena`), the mail API,
/// and `optional_variable("…")` by name.
fn variables_used(name: &str, src: &str) -> BTreeSet<String> {
    let mut v: BTreeSet<String> = BTreeSet::new();
    if name == "health" {
        // `/api/v1/salud` checks the whole configuration, the secrets too (never shows them).
        v.extend(
            [
                "app_version",
                "clave_sesion",
                "clave_contrasena",
                "llave_sello",
            ]
            .map(String::from),
        );
        v.extend(CONFIGURATION.map(String::from));
        return v;
    }
    // A gate loads the environment for its handler.
    if ["Env::load", "gate::reader(", "gate::signer("]
        .iter()
        .any(|m| src.contains(m))
    {
        v.extend(CONFIGURATION.map(String::from));
    }
    let session = [
        "require_session(",
        "limited_read(",
        "signed_act(",
        "certification_act(",
        "signer_session(",
        "session_key(",
        "gate::reader(",
        "gate::signer(",
        "consult_request(",
        "consult_batch_request(",
    ];
    if session.iter().any(|m| src.contains(m)) {
        v.insert("clave_sesion".into());
    }
    if [
        ".seal()",
        "signed_act(",
        "certification_act(",
        "verify_act(",
        "terms_act(",
    ]
    .iter()
    .any(|m| src.contains(m))
    {
        v.insert("llave_sello".into());
    }
    if [
        "password_key(",
        "consult_request(",
        "consult_batch_request(",
    ]
    .iter()
    .any(|m| src.contains(m))
    {
        v.insert("clave_contrasena".into());
    }
    let mail = [
        "mail::config(",
        "mail::enabled(",
        ".registered(",
        ".deliver(",
    ];
    if mail.iter().any(|m| src.contains(m)) {
        v.extend(["correo_api_url", "correo_api_token"].map(String::from));
    }
    for (k, _) in src.match_indices("optional_variable(\"") {
        let rest = &src[k + "optional_variable(\"".len()..];
        v.insert(rest[..rest.find('"').unwrap()].to_string());
    }
    v
}

#[test]
fn each_component_receives_only_the_variables_it_reads() {
    let root = workspace_root();
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("spin.toml")).unwrap()).unwrap();
    let components = manifest["component"].as_table().unwrap();
    let mut problems = Vec::new();
    let mut secrets_given = 0;
    for (name, c) in components {
        let src = std::fs::read_to_string(root.join(format!("functions/{name}/src/lib.rs")))
            .unwrap_or_else(|_| panic!("functions/{name}/src/lib.rs"));
        let given: BTreeSet<String> = c
            .get("variables")
            .and_then(|v| v.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        let used = variables_used(name, &src);
        if given != used {
            problems.push(format!(
                "{name}: spin.toml gives {:?}, its code reads {:?}",
                given, used
            ));
        }
        if given.contains("llave_sello") {
            secrets_given += 1;
        }
    }
    // The seal key goes to the components that seal acuses, not to every one.
    assert!(
        (5..components.len() - 5).contains(&secrets_given),
        "{secrets_given} components receive the seal key"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The project's files name no document outside the repository (the notes it was planned from
/// are not part of it): what they say is written here, in the code or its docs.
#[test]
fn no_file_points_outside_the_repository() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                if !["target", "node_modules", ".git", "corpus", "artifacts"]
                    .contains(&name.as_str())
                {
                    walk(&path, out);
                }
            } else if [
                ".rs", ".md", ".toml", ".sh", ".js", ".mjs", ".yaml", ".html",
            ]
            .iter()
            .any(|ext| name.ends_with(ext))
            {
                out.push(path);
            }
        }
    }
    let root = workspace_root();
    let mut files = Vec::new();
    for top in [
        "shared",
        "functions",
        "tests",
        "static",
        "docs",
        "deploy",
        ".ci",
    ] {
        if root.join(top).is_dir() {
            walk(&root.join(top), &mut files);
        }
    }
    for f in [
        "README.md",
        "ARCHITECTURE.md",
        "SECURITY.md",
        "BENCHMARKS.md",
        "Makefile",
        "spin.toml",
        "openapi.yaml",
    ] {
        files.push(root.join(f));
    }
    // Spelled in pieces so that this file does not name them itself.
    let outside = [
        ["DOMAIN", ".md"].concat(),
        ["DESIGN", ".md"].concat(),
        ["PLATFORM-NOTES", ".md"].concat(),
        ["../../", "shared/"].concat() + "seeds",
        ["/work", "/shared"].concat(),
    ];
    let mut problems = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for o in &outside {
            if text.contains(o.as_str()) {
                problems.push(format!("{}: names «{o}»", f.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The library code of `shared/*/src` and `functions/*/src`, without test code (files named
/// `tests.rs` or `*_tests.rs`, folders `tests`, `*_tests` or `testutil`).
fn library_sources() -> Vec<std::path::PathBuf> {
    fn is_test(name: &str) -> bool {
        name == "tests.rs"
            || name.ends_with("_tests.rs")
            || name == "tests"
            || name.ends_with("_tests")
            || name == "testutil"
            || name == "testutil.rs"
    }
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_test(&name) {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else if name.ends_with(".rs") {
                out.push(e.path());
            }
        }
    }
    let root = workspace_root();
    let mut files = Vec::new();
    for top in ["shared", "functions"] {
        for krate in std::fs::read_dir(root.join(top))
            .unwrap()
            .map(|e| e.unwrap())
        {
            let src = krate.path().join("src");
            if src.is_dir() {
                walk(&src, &mut files);
            }
        }
    }
    files.sort();
    files
}

/// A line without its string and character literals and its comment, for counting braces.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            // A char literal ('{', '\'') but not a lifetime ('a).
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

/// The functions of `text` longer than `most` lines (signature to closing brace): (name, first
/// line, lines). An inline `#[cfg(test)]` module is test code and skipped.
fn long_functions(text: &str, most: usize) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|l| l.trim_start().starts_with("mod ") && l.ends_with('{'))
        {
            i = block_end(&lines, i + 1) + 1;
            continue;
        }
        let code = code_of(trimmed);
        let mut tokens = code.split_whitespace();
        let fn_name = loop {
            match tokens.next() {
                Some("pub" | "pub(crate)" | "pub(super)" | "const" | "async" | "unsafe") => {}
                Some("fn") => {
                    break tokens
                        .next()
                        .map(|n| n.split(['(', '<']).next().unwrap_or(n));
                }
                _ => break None,
            }
        };
        if let Some(name) = fn_name {
            let end = block_end(&lines, i);
            let n = end - i + 1;
            if n > most {
                found.push((name.to_string(), i + 1, n));
            }
        }
        i += 1;
    }
    found
}

/// The line where the block opened at or after line `start` closes (a declaration without a
/// body ends at its `;`).
fn block_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0i64;
    let mut opened = false;
    for (j, line) in lines.iter().enumerate().skip(start) {
        let code = code_of(line);
        for c in code.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
            return j;
        }
    }
    lines.len().saturating_sub(1)
}

/// Files and functions stay small enough to read: no library file over 600 lines, no function
/// over 80 (split along the seams instead). The one exception is an error enum's `mensaje()`,
/// a table with one arm per variant.
#[test]
fn no_library_file_over_600_lines_nor_function_over_80() {
    const MOST_FILE_LINES: usize = 600;
    const MOST_FUNCTION_LINES: usize = 80;
    let root = workspace_root();
    let mut problems = Vec::new();
    let files = library_sources();
    assert!(files.len() > 100, "only {} files found", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let shown = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        let n = text.lines().count();
        if n > MOST_FILE_LINES {
            problems.push(format!("{shown}: {n} lines"));
        }
        for (name, line, n) in long_functions(&text, MOST_FUNCTION_LINES) {
            if name != "mensaje" {
                problems.push(format!("{shown}:{line}: fn {name} has {n} lines"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_size_rule_sees_long_functions_and_skips_test_modules() {
    let body = "    let x = '{';\n    // }\n    let s = \"}}\";\n".repeat(30);
    let text = format!(
        "pub(crate) fn long<'a>(x: &'a str) {{\n{body}}}\n\nfn short() {{}}\n\n\
         #[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}    }}\n}}\n"
    );
    assert_eq!(long_functions(&text, 80), vec![("long".to_string(), 1, 92)]);
    assert!(long_functions(&text, 92).is_empty());
}
