//! Issue 16, item 7: `openapi.yaml` cannot drift from the server.
//!
//! - Every error `codigo` the code can return (read from the Rust sources: `ApiError`
//!   constructors and the helpers that wrap them, the e.firma verifier's and the RFC checker's
//!   codes, the 422 bodies) is documented with its status, on every operation whose component
//!   can return it through a common mechanism (session, signed act, store and configuration,
//!   limits, roles, query parameters) or through its own code; and no operation documents a code
//!   its component cannot reach (the code comes from a crate the component does not use).
//! - Every cadena original documented in `openapi.yaml` (and README.md) is filled in the way a
//!   client would (RFC, fecha, nonce, terms, data) keeping its layout, signed with SAT's test
//!   e.firma credentials, and accepted by the running app.
//! - Every `enum` in `openapi.yaml` equals the server's own list.

mod avisos_datos;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use avisos_e2e::*;
use avisos_host::testing::{TestApp, TestRequest, TestResponse, workspace_root};
use base64::Engine;
use serde_json::{Map, Value, json};
use serde_yaml::Value as Yaml;
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------------------------------
// The document
// ------------------------------------------------------------------------------------------

fn read(rel: &str) -> String {
    std::fs::read_to_string(workspace_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn spec() -> Yaml {
    serde_yaml::from_str(&read("openapi.yaml")).expect("openapi.yaml is YAML")
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(spec: &'a Yaml, v: &'a Yaml) -> &'a Yaml {
    match v.get("$ref").and_then(Yaml::as_str) {
        Some(r) => {
            let mut cur = spec;
            for part in r.trim_start_matches("#/").split('/') {
                cur = cur.get(part).unwrap_or_else(|| panic!("dangling $ref {r}"));
            }
            resolve(spec, cur)
        }
        None => v,
    }
}

/// The `codigo` values a response schema allows (`enum` or `const` of its `codigo` property,
/// through `$ref`, `allOf`, `oneOf`, `anyOf`).
fn codigos_of_schema(spec: &Yaml, schema: &Yaml, out: &mut BTreeSet<String>) {
    let schema = resolve(spec, schema);
    if let Some(c) = schema.get("properties").and_then(|p| p.get("codigo")) {
        if let Some(e) = c.get("enum").and_then(Yaml::as_sequence) {
            out.extend(e.iter().filter_map(Yaml::as_str).map(String::from));
        }
        if let Some(k) = c.get("const").and_then(Yaml::as_str) {
            out.insert(k.to_string());
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for s in schema
            .get(key)
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            codigos_of_schema(spec, s, out);
        }
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One documented operation.
struct Op {
    id: String,
    method: String,
    path: String,
    component: String,
    security: bool,
    act: bool,
    json_body: bool,
    description: String,
    /// Documented error codes and their statuses.
    documented: BTreeMap<String, BTreeSet<u16>>,
    /// Each non-default error response's description, by status.
    response_text: BTreeMap<u16, String>,
    default_is_error: bool,
}

fn components_by_route() -> BTreeMap<String, String> {
    let m: toml::Value = toml::from_str(&read("spin.toml")).unwrap();
    m["trigger"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["route"].as_str().unwrap().to_string(),
                t["component"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn operations(spec: &Yaml) -> Vec<Op> {
    let routes = components_by_route();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        let route = item["x-spin-route"].as_str().unwrap();
        let component = routes
            .get(route)
            .unwrap_or_else(|| panic!("{path}: route {route} not in spin.toml"))
            .clone();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let body_schema = op
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .and_then(|c| c.get("application/json"))
                .and_then(|j| j.get("schema"));
            let act = body_schema
                .and_then(|s| s.get("$ref"))
                .and_then(Yaml::as_str)
                .is_some_and(|r| {
                    [
                        "#/components/schemas/ActoFirmado",
                        "#/components/schemas/ActoAltaRelacion",
                        "#/components/schemas/ActoPublicarAvisos",
                    ]
                    .contains(&r)
                });
            let mut documented: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
            let mut response_text = BTreeMap::new();
            let mut default_is_error = false;
            for (status, resp) in op["responses"].as_mapping().unwrap() {
                let status = match status {
                    Yaml::String(s) if s == "default" => {
                        default_is_error = resp.get("$ref").and_then(Yaml::as_str)
                            == Some("#/components/responses/Error");
                        continue;
                    }
                    Yaml::String(s) => s.parse::<u16>().unwrap(),
                    Yaml::Number(n) => n.as_u64().unwrap() as u16,
                    other => panic!("{path}: status {other:?}"),
                };
                if status < 400 || (path == "/api/v1/salud" && status == 503) {
                    continue;
                }
                let resp = resolve(spec, resp);
                response_text.insert(
                    status,
                    resp["description"].as_str().unwrap_or_default().to_string(),
                );
                let mut codes = BTreeSet::new();
                if let Some(schema) = resp
                    .get("content")
                    .and_then(|c| c.get("application/json"))
                    .and_then(|j| j.get("schema"))
                {
                    codigos_of_schema(spec, schema, &mut codes);
                }
                for c in codes {
                    documented.entry(c).or_default().insert(status);
                }
            }
            ops.push(Op {
                id: op["operationId"].as_str().unwrap().to_string(),
                method: method.to_string(),
                path: path.to_string(),
                component: component.clone(),
                security: op.get("security").is_some(),
                act,
                json_body: body_schema.is_some(),
                description: op["description"].as_str().unwrap_or_default().to_string(),
                documented,
                response_text,
                default_is_error,
            });
        }
    }
    ops
}

/// The cadenas originales an operation documents (`||AVISOS|…||` between backticks).
fn cadenas_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("||AVISOS|") {
        let tail = &rest[start..];
        let end = tail.find(['`', '\'']).expect("a cadena ends with a quote");
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

// ------------------------------------------------------------------------------------------
// The sources
// ------------------------------------------------------------------------------------------

/// If `b[i..]` starts a string, char literal or comment, the index just after it.
fn skip_literal(b: &[u8], i: usize) -> Option<usize> {
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    match at(i) {
        b'/' if at(i + 1) == b'/' => Some((i..b.len()).find(|&k| b[k] == b'\n').unwrap_or(b.len())),
        b'/' if at(i + 1) == b'*' => Some(
            (i + 2..b.len().saturating_sub(1))
                .find(|&k| b[k] == b'*' && b[k + 1] == b'/')
                .map(|k| k + 2)
                .unwrap_or(b.len()),
        ),
        b'r' if at(i + 1) == b'#' || (at(i + 1) == b'"' && !is_ident(at(i.wrapping_sub(1)))) => {
            if i > 0 && is_ident(b[i - 1]) {
                return None;
            }
            let hashes = (i + 1..b.len()).take_while(|&k| b[k] == b'#').count();
            if at(i + 1 + hashes) != b'"' {
                return None;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let from = i + 2 + hashes;
            Some(
                (from..b.len())
                    .find(|&k| b[k..].starts_with(&close))
                    .map(|k| k + close.len())
                    .unwrap_or(b.len()),
            )
        }
        b'"' => {
            let mut k = i + 1;
            while k < b.len() {
                match b[k] {
                    b'\\' => k += 2,
                    b'"' => return Some(k + 1),
                    _ => k += 1,
                }
            }
            Some(b.len())
        }
        b'\'' if at(i + 1) == b'\\' => (i + 2..b.len()).find(|&k| b[k] == b'\'').map(|k| k + 1),
        b'\'' if at(i + 2) == b'\'' => Some(i + 3),
        _ => None,
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Index of the bracket closing the one at `open`.
fn matching_close(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        if let Some(next) = skip_literal(b, i) {
            i = next;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The source without `#[cfg(test)]` items (test modules, test-only imports).
fn without_tests(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let b = after.as_bytes();
        // The item ends at its `;` or at the brace closing its body, whichever comes first.
        let semi = after.find(';').unwrap_or(after.len());
        let brace = after.find('{').unwrap_or(after.len());
        let end = if brace < semi {
            matching_close(b, brace)
                .map(|k| k + 1)
                .expect("a #[cfg(test)] item whose braces the scanner cannot match")
        } else {
            (semi + 1).min(after.len())
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Arguments of the call whose `(` is at `open`, split at top-level commas.
fn call_args(text: &str, open: usize) -> Vec<String> {
    let b = text.as_bytes();
    let Some(close) = matching_close(b, open) else {
        return Vec::new();
    };
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut i = open + 1;
    while i < close {
        if let Some(next) = skip_literal(b, i) {
            i = next;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                args.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last = text[start..close].trim();
    if !last.is_empty() {
        args.push(last.to_string());
    }
    args
}

/// `"CODE"` → `CODE` for an UPPER_SNAKE string literal.
fn code_literal(arg: &str) -> Option<String> {
    let inner = arg.strip_prefix('"')?.strip_suffix('"')?;
    let ok = inner.len() > 2
        && inner.contains('_')
        && inner
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
    ok.then(|| inner.to_string())
}

/// Positions just after `name(` where `name` is a whole identifier (or path segment) and the
/// occurrence is a call, not the function's definition.
fn calls_of(text: &str, name: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let needle = format!("{name}(");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find(&needle) {
        let at = from + k;
        from = at + needle.len();
        if at > 0 && is_ident(b[at - 1]) {
            continue;
        }
        if text[..at].trim_end().ends_with("fn") {
            continue;
        }
        out.push(at + needle.len() - 1);
    }
    out
}

/// Non-test Rust sources of the server: `shared/*/src` and `functions/*/src` (the e.firma CLI
/// and the browser signer are clients; test helpers and sample builders never answer).
fn server_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{rel}/{name}");
            if e.file_type().unwrap().is_dir() {
                // Test modules in directories of their own (`tests/`, `workflow_tests/`…).
                if name != "tests" && !name.ends_with("_tests") {
                    walk(&e.path(), &rel, out);
                }
            } else if name.ends_with(".rs")
                && !name.ends_with("tests.rs")
                && name != "testutil.rs"
                && name != "sample.rs"
            {
                out.push((
                    rel,
                    without_tests(&std::fs::read_to_string(e.path()).unwrap()),
                ));
            }
        }
    }
    let root = workspace_root();
    let mut out = Vec::new();
    for top in ["shared", "functions"] {
        let mut crates: Vec<_> = std::fs::read_dir(root.join(top))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        crates.sort();
        for c in crates {
            // Clients of the service, not the server.
            if c == "efirma-cli" || c == "efirma-web" || c == "cliente" {
                continue;
            }
            let src = root.join(top).join(&c).join("src");
            if src.is_dir() {
                walk(&src, &format!("{top}/{c}/src"), &mut out);
            }
        }
    }
    out
}

/// Where a code comes from: its statuses and the files that construct it.
#[derive(Debug, Default, Clone)]
struct Origin {
    statuses: BTreeSet<u16>,
    files: BTreeSet<String>,
}

const ACT_PIPELINE: &str = "shared/acts/src/act.rs";

/// Statuses of the codes that travel in a body of their own (with more fields than
/// `{codigo, mensaje}`) instead of an `ApiError`.
const BODY_CODES: [(&str, u16); 2] = [("AVISOS_INVALIDOS", 422), ("EVIDENCIA_RECHAZADA", 422)];

/// An error enum of the server: the file whose `fn codigo(&self)` names its codes, and the match
/// (found after `statuses_at` in `statuses_in`) that gives each variant its status. A domain
/// enum's statuses are the portal's (`shared/portal/src/error/`), the edge's own are beside it.
struct ErrorEnum {
    name: &'static str,
    codes_in: &'static str,
    statuses_in: &'static str,
    statuses_at: &'static str,
}

const ERROR_ENUMS: [ErrorEnum; 6] = [
    ErrorEnum {
        name: "RequestError",
        codes_in: "shared/http/src/refusal.rs",
        statuses_in: "shared/http/src/refusal.rs",
        statuses_at: "fn status(&self)",
    },
    ErrorEnum {
        name: "KvError",
        codes_in: "shared/kv/src/lib.rs",
        statuses_in: "shared/http/src/error.rs",
        statuses_at: "impl From<KvError> for ApiError",
    },
    ErrorEnum {
        name: "ActError",
        codes_in: "shared/acts/src/error.rs",
        statuses_in: "shared/portal/src/error/mod.rs",
        statuses_at: "impl From<ActError> for Error",
    },
    ErrorEnum {
        name: "RelationError",
        codes_in: "shared/relations/src/error.rs",
        statuses_in: "shared/portal/src/error/relations.rs",
        statuses_at: "impl From<RelationError> for Error",
    },
    ErrorEnum {
        name: "CertificationError",
        codes_in: "shared/certification/src/error.rs",
        statuses_in: "shared/portal/src/error/certification.rs",
        statuses_at: "impl From<CertificationError> for Error",
    },
    ErrorEnum {
        name: "AvisosError",
        codes_in: "shared/notices/src/error.rs",
        statuses_in: "shared/portal/src/error/notices.rs",
        statuses_at: "impl From<AvisosError> for Error",
    },
];

/// The arms `(pattern, value)` of the first `match` after `anchor` in `text` (line comments left
/// out of the patterns).
fn match_arms(text: &str, anchor: &str) -> Vec<(String, String)> {
    let at = text.find(anchor).unwrap_or_else(|| panic!("no «{anchor}»"));
    let m = at + text[at..].find("match ").expect("a match");
    let open = m + text[m..].find('{').unwrap();
    let close = matching_close(text.as_bytes(), open).unwrap();
    let b = text.as_bytes();
    // The next index in `from..close` at bracket depth 0 where `stop` holds.
    let scan = |from: usize, stop: &dyn Fn(usize) -> bool| -> usize {
        let mut i = from;
        while i < close {
            if let Some(end) = skip_literal(b, i) {
                i = end;
            } else if matches!(b[i], b'(' | b'[' | b'{') {
                i = matching_close(b, i).unwrap() + 1;
            } else if stop(i) {
                return i;
            } else {
                i += 1;
            }
        }
        close
    };
    let mut arms = Vec::new();
    let mut i = open + 1;
    loop {
        let arrow = scan(i, &|k| text[k..].starts_with("=>"));
        if arrow >= close {
            break;
        }
        let pattern: String = text[i..arrow]
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        let start = arrow + 2 + text[arrow + 2..].len() - text[arrow + 2..].trim_start().len();
        let end = if b[start] == b'{' {
            matching_close(b, start).unwrap() + 1
        } else {
            scan(start, &|k| b[k] == b',')
        };
        arms.push((
            pattern.trim().to_string(),
            text[start..end].trim().to_string(),
        ));
        i = (end + 1).min(close);
        if end >= close {
            break;
        }
    }
    arms
}

/// The variants a pattern names (`Self::X`, `Enum::X`).
fn variants_in(pattern: &str, enum_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["Self::".to_string(), format!("{enum_name}::")] {
        for (k, _) in pattern.match_indices(&prefix) {
            let before = pattern[..k].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            out.push(
                pattern[k + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect(),
            );
        }
    }
    out
}

/// A status arm's number: a literal, or the status of an `ApiError::new(…)` the arm builds.
fn status_value(value: &str) -> Option<u16> {
    if let Ok(s) = value.parse::<u16>() {
        return Some(s);
    }
    let p = value.find("ApiError::new(")?;
    value[p + "ApiError::new(".len()..]
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

struct ServerCodes {
    codes: BTreeMap<String, Origin>,
    /// Where each code's `codigo()` arm is written (the enum's file).
    declared_in: BTreeMap<String, BTreeSet<String>>,
}

/// Every code the server can answer, from its error enums: each variant's code (its
/// `codigo()`), its status (the portal's or the edge's match), and the files that construct
/// it. A variant with a code and no status, or the reverse, fails here.
fn server_codes(sources: &[(String, String)]) -> ServerCodes {
    let text_of = |file: &str| -> &str {
        &sources
            .iter()
            .find(|(f, _)| f == file)
            .unwrap_or_else(|| panic!("{file} is gone: update ERROR_ENUMS"))
            .1
    };
    let mut codes: BTreeMap<String, Origin> = BTreeMap::new();
    let mut declared_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut statuses_of: BTreeMap<(&str, String), u16> = BTreeMap::new();
    for e in &ERROR_ENUMS {
        // Arms without a status of their own delegate to a lower layer's (`Act(e) => …`).
        for (pattern, value) in match_arms(text_of(e.statuses_in), e.statuses_at) {
            if let Some(s) = status_value(&value) {
                for v in variants_in(&pattern, e.name) {
                    statuses_of.insert((e.name, v), s);
                }
            }
        }
        for (pattern, value) in match_arms(text_of(e.codes_in), "fn codigo(&self)") {
            // `X => "CODE"` or, wrapped by rustfmt, `X => { "CODE" }`.
            let value = value.trim_start_matches('{').trim_end_matches('}').trim();
            let Some(code) = code_literal(value) else {
                continue;
            };
            for v in variants_in(&pattern, e.name) {
                let status = *statuses_of.get(&(e.name, v.clone())).unwrap_or_else(|| {
                    panic!(
                        "{}::{v} ({code}) has no status in {}",
                        e.name, e.statuses_in
                    )
                });
                let origin = codes.entry(code.clone()).or_default();
                origin.statuses.insert(status);
                origin.files.insert(e.codes_in.to_string());
                // The files that build the variant (by its full name).
                let built = format!("{}::{v}", e.name);
                for (file, text) in sources {
                    let names_it = text.match_indices(&built).any(|(k, _)| {
                        !text[k + built.len()..].starts_with(|c: char| c.is_alphanumeric())
                    });
                    if file != e.statuses_in && names_it {
                        origin.files.insert(file.clone());
                    }
                }
                declared_in
                    .entry(code.clone())
                    .or_default()
                    .insert(e.codes_in.to_string());
            }
        }
    }
    let mut add = |code: &str, status: u16, file: &str| {
        let o = codes.entry(code.to_string()).or_default();
        o.statuses.insert(status);
        o.files.insert(file.to_string());
    };
    // The verifier's codes the server can meet: variants built outside the key module (which
    // only clients compile, feature `sign`), with the status `efirma_status` gives them.
    let efirma = text_of("shared/efirma/src/error.rs");
    let mut bad_input = BTreeSet::new();
    for (pattern, value) in match_arms(
        text_of("shared/portal/src/error/mod.rs"),
        "fn efirma_status",
    ) {
        if value == "400" {
            bad_input.extend(variants_in(&pattern, "EfirmaError"));
        }
    }
    assert!(!bad_input.is_empty(), "efirma_status lost its 400 arm");
    for (variant, code) in codigo_match(efirma) {
        let built = sources.iter().any(|(f, t)| {
            f.starts_with("shared/efirma/src/")
                && !f.ends_with("/error.rs")
                && !f.ends_with("/key.rs")
                && (t.contains(&format!("EfirmaError::{variant}"))
                    || t.contains(&format!("Self::{variant}")))
        });
        if built {
            add(
                &code,
                if bad_input.contains(&variant) {
                    400
                } else {
                    403
                },
                ACT_PIPELINE,
            );
        }
    }
    // The RFC checker's codes travel as `ActError::Rfc`, with its status.
    let rfc_status = statuses_of
        .get(&("ActError", "Rfc".to_string()))
        .copied()
        .expect("ActError::Rfc has a status");
    for (_, code) in codigo_match(text_of("shared/efirma/src/rfc.rs")) {
        add(&code, rfc_status, ACT_PIPELINE);
    }
    ServerCodes { codes, declared_in }
}

/// The codes of an `fn codigo(&self)` match (`Variant … => "CODE"`), as (variant, code).
fn codigo_match(text: &str) -> Vec<(String, String)> {
    let at = text.find("fn codigo(&self)").expect("fn codigo");
    let open = at + text[at..].find('{').unwrap();
    let body = &text[open..=matching_close(text.as_bytes(), open).unwrap()];
    body.split("Self::")
        .skip(1)
        .filter_map(|arm| {
            let variant: String = arm.chars().take_while(|c| c.is_alphanumeric()).collect();
            let code = arm
                .split("=>")
                .nth(1)?
                .trim()
                .split('"')
                .nth(1)?
                .to_string();
            Some((variant, code))
        })
        .collect()
}

/// `shared/*` crates a crate depends on (its `[dependencies]` with a path, directly or through
/// `workspace = true`), transitively.
fn closure(crate_dir: &str, out: &mut BTreeSet<String>) {
    let root: toml::Value = toml::from_str(&read("Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&read(&format!("{crate_dir}/Cargo.toml"))).unwrap();
    let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) else {
        return;
    };
    for (name, dep) in deps {
        let inherited = dep.get("workspace").and_then(|w| w.as_bool()) == Some(true);
        let (base, path) = if inherited {
            let shared = root["workspace"]["dependencies"].get(name);
            (
                String::new(),
                shared.and_then(|d| d.get("path")).and_then(|p| p.as_str()),
            )
        } else {
            (
                crate_dir.to_string(),
                dep.get("path").and_then(|p| p.as_str()),
            )
        };
        let Some(path) = path else { continue };
        let full = workspace_root()
            .join(base)
            .join(path)
            .canonicalize()
            .unwrap();
        let rel = full
            .strip_prefix(workspace_root().canonicalize().unwrap())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if out.insert(rel.clone()) {
            closure(&rel, out);
        }
    }
}

// ------------------------------------------------------------------------------------------
// (a) Every code, with its status, on every operation that can return it
// ------------------------------------------------------------------------------------------

/// Codes any route can answer, documented once in `components/responses/Error` (every
/// operation's `default`).
const PLATFORM: [(&str, u16); 3] = [
    ("METODO_NO_PERMITIDO", 405),
    ("CUERPO_DEMASIADO_GRANDE", 413),
    ("ERROR_INTERNO", 500),
];

const STORE_AND_CONFIGURATION: [&str; 3] = [
    "ALMACEN_NO_DISPONIBLE",
    "ALMACEN_LLENO",
    "CONFIGURACION_INVALIDA",
];

#[test]
fn every_error_code_is_documented_with_its_status_where_it_can_happen() {
    let spec = spec();
    let ops = operations(&spec);
    let sources = server_sources();
    let ServerCodes { codes, declared_in } = server_codes(&sources);
    let mut problems: Vec<String> = Vec::new();

    // The scanner still sees the mechanisms it relies on.
    for c in [
        "SESION_REQUERIDA",
        "NONCE_USADO",
        "EFIRMA_FIRMA_INVALIDA",
        "LIMITE_EXCEDIDO",
    ]
    .into_iter()
    .chain(STORE_AND_CONFIGURATION)
    .chain(PLATFORM.map(|(c, _)| c))
    .chain(BODY_CODES.map(|(c, _)| c))
    {
        assert!(codes.contains_key(c), "the scanner lost {c}");
    }
    assert!(codes.len() > 100, "only {} codes found", codes.len());
    // Every UPPER_SNAKE literal of the server is accounted for: a code built in a way the
    // scanner does not know (a new helper, a struct literal) fails here instead of going
    // undocumented.
    let mut explained: BTreeSet<String> = codes.keys().cloned().collect();
    explained.extend(avisos_acts::act::actions::ALL.iter().map(|a| a.to_string()));
    explained.extend(evidence_problem_codes());
    explained.extend(
        codigo_match(&read("shared/efirma/src/error.rs"))
            .into_iter()
            .map(|(_, c)| c),
    );
    explained.extend(
        [
            // Relation `motivo` codes (schema `Relacion`), not errors.
            avisos_relations::relation::MOTIVO_VIGENCIA_TERMINADA,
            avisos_relations::relation::MOTIVO_CERTIFICACION_CANCELADA,
            // The audit's `resultado` of a successful consultation.
            avisos_notices::consulta::RESULTADO_EXITOSO,
            // `efirma::cadena::parse` (clients: the CLI), never an answer of the server.
            "CADENA_ORIGINAL_INVALIDA",
        ]
        .map(String::from),
    );
    for (literal, files) in upper_literals(&sources) {
        if !explained.contains(&literal) {
            problems.push(format!(
                "{files:?}: \"{literal}\" looks like a code the scanner cannot place (how is it answered?)"
            ));
        }
        // A code is written once, in its enum's `codigo()`: anywhere else it could drift. (The
        // relation's `motivo` and the evidence's problem codes are vocabularies of their own
        // that share a few words with the error codes.)
        if let Some(homes) = declared_in.get(&literal) {
            let other_vocabulary = |f: &String| {
                f == "shared/relations/src/relation/record.rs"
                    || f.starts_with("shared/evidence/src/workbook/")
            };
            for file in files.difference(homes).filter(|f| !other_vocabulary(f)) {
                problems.push(format!(
                    "{file}: the code \"{literal}\" is written outside its enum's codigo() ({homes:?})"
                ));
            }
        }
    }

    let platform_text = spec["components"]["responses"]["Error"]["description"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for (c, s) in PLATFORM {
        assert!(
            codes[c].statuses == BTreeSet::from([s]),
            "{c}: {:?}",
            codes[c]
        );
        if !platform_text.contains(&format!("{s} {c}")) {
            problems.push(format!(
                "components/responses/Error does not mention «{s} {c}»"
            ));
        }
    }

    let source_of = |c: &str| -> String {
        sources
            .iter()
            .filter(|(f, _)| f.starts_with(&format!("functions/{c}/src/")))
            .map(|(_, t)| t.as_str())
            .collect()
    };
    let by_file = |file: &str, status: Option<u16>| -> BTreeSet<String> {
        codes
            .iter()
            .filter(|(_, o)| o.files.contains(file))
            .filter(|(_, o)| status.is_none_or(|s| o.statuses.contains(&s)))
            .map(|(c, _)| c.clone())
            .collect()
    };
    let session_codes = by_file("shared/acts/src/session.rs", Some(401));
    assert!(session_codes.len() >= 4, "{session_codes:?}");
    let efirma: BTreeSet<String> = codes
        .keys()
        .filter(|c| c.starts_with("EFIRMA_"))
        .cloned()
        .collect();
    let conditional = [
        "TERMINOS_NO_ACEPTADOS",
        "TERMINOS_DESACTUALIZADOS",
        "DATO_FALTANTE",
        "DATO_INVALIDO",
    ];
    let rfc_codes: BTreeSet<String> = codigo_match(&read("shared/efirma/src/rfc.rs"))
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let mut act_codes: BTreeSet<String> = by_file(ACT_PIPELINE, None)
        .into_iter()
        .chain(by_file("shared/acts/src/nonce.rs", None))
        .filter(|c| !conditional.contains(&c.as_str()) && !rfc_codes.contains(c))
        .collect();
    act_codes.extend(efirma.iter().cloned());
    act_codes.extend(["LIMITE_EXCEDIDO", "JSON_INVALIDO", "CUERPO_VACIO"].map(String::from));

    // Every documented operation, checked against what its component can return.
    let mut documented_anywhere: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for op in &ops {
        let here = format!("{} {} ({})", op.method.to_uppercase(), op.path, op.id);
        if !op.default_is_error {
            problems.push(format!(
                "{here}: `default` is not components/responses/Error"
            ));
        }
        for (c, s) in &op.documented {
            documented_anywhere
                .entry(c.clone())
                .or_default()
                .extend(s.iter().copied());
        }
        for (status, text) in &op.response_text {
            for (c, s) in &op.documented {
                if s.contains(status) && !text.contains(c.as_str()) {
                    problems.push(format!(
                        "{here}: the {status} description does not name {c}"
                    ));
                }
            }
        }
        let src = source_of(&op.component);
        let mut required: BTreeSet<String> = BTreeSet::new();
        // The component's own codes, and the ApiError constructors it calls by name.
        for (c, o) in &codes {
            if o.files
                .iter()
                .any(|f| f.starts_with(&format!("functions/{}/", op.component)))
            {
                required.insert(c.clone());
            }
        }
        // A route parameter missing answers like a missing resource (`req.param("folio")?`).
        let param_refused = src.match_indices(".param(\"").any(|(k, _)| {
            let rest = &src[k + ".param(\"".len()..];
            rest.find("\")")
                .is_some_and(|end| rest[end + 2..].starts_with('?'))
        });
        if param_refused {
            required.insert("RECURSO_NO_ENCONTRADO".into());
        }
        if src.contains("Env::load") {
            required.extend(STORE_AND_CONFIGURATION.map(String::from));
        }
        if op.security {
            required.extend(session_codes.iter().cloned());
        }
        if op.json_body {
            required.extend(["JSON_INVALIDO", "CUERPO_VACIO"].map(String::from));
        }
        if op.act {
            required.extend(act_codes.iter().cloned());
            let cadenas = cadenas_in(&op.description);
            if cadenas.is_empty() {
                problems.push(format!("{here}: a signed act without its cadena original"));
            }
            for cadena in cadenas {
                let fields = efirma::cadena::parse(&cadena).unwrap();
                if fields.get(6).is_some_and(|t| !t.is_empty()) {
                    required.extend(conditional[..2].iter().map(|c| c.to_string()));
                }
                if fields.len() > 7 {
                    required.extend(conditional[2..].iter().map(|c| c.to_string()));
                }
            }
            if op.security {
                required.extend(["SESION_NO_COINCIDE", "ROL_NO_PERMITIDO"].map(String::from));
            }
        }
        if src.contains("limited_read(") || src.contains(".admit(") {
            required.insert("LIMITE_EXCEDIDO".into());
        }
        let role_checks = [
            "require_role(",
            "require_analyst(",
            "Viewer::of(",
            "env.signed_act(",
            "signer_session(",
        ];
        if op.security && role_checks.iter().any(|m| src.contains(m)) {
            required.insert("ROL_NO_PERMITIDO".into());
        }
        if op.method == "get" && src.contains("query_number(") {
            required.insert("PARAMETRO_INVALIDO".into());
        }
        if src.contains("validate_actor_rfc(") {
            required.extend(rfc_codes.iter().cloned());
        }
        for c in &required {
            if PLATFORM.iter().any(|(p, _)| p == c) {
                continue;
            }
            let Some(origin) = codes.get(c) else {
                problems.push(format!(
                    "{here}: the test requires {c}, which no code returns"
                ));
                continue;
            };
            match op.documented.get(c) {
                None => problems.push(format!(
                    "{here}: can return {c} ({:?}) but does not document it",
                    origin.statuses
                )),
                Some(s) if !s.is_subset(&origin.statuses) => problems.push(format!(
                    "{here}: documents {c} as {s:?}, the code returns {:?}",
                    origin.statuses
                )),
                _ => {}
            }
        }
        // Nothing the component cannot reach.
        let mut reach = BTreeSet::new();
        closure(&format!("functions/{}", op.component), &mut reach);
        for c in op.documented.keys() {
            let Some(origin) = codes.get(c) else {
                problems.push(format!("{here}: documents {c}, which no code returns"));
                continue;
            };
            let reachable = origin.files.iter().any(|f| {
                f.starts_with(&format!("functions/{}/", op.component))
                    || reach.iter().any(|r| f.starts_with(&format!("{r}/")))
            });
            if !reachable {
                problems.push(format!(
                    "{here}: documents {c}, but {} uses none of {:?}",
                    op.component, origin.files
                ));
            }
        }
    }
    // Every code the server can return is documented somewhere, with exactly its statuses.
    for (c, origin) in &codes {
        if PLATFORM.iter().any(|(p, _)| p == c) {
            continue;
        }
        match documented_anywhere.get(c) {
            None => problems.push(format!(
                "{c} ({:?}, from {:?}) is documented on no operation",
                origin.statuses, origin.files
            )),
            Some(s) if s != &origin.statuses => problems.push(format!(
                "{c}: documented as {s:?}, the code returns {:?} (from {:?})",
                origin.statuses, origin.files
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "openapi.yaml and the code disagree:\n{}",
        problems.join("\n")
    );
}

/// The codes of the evidence check's `problemas` (inside `EVIDENCIA_RECHAZADA`).
fn evidence_problem_codes() -> BTreeSet<String> {
    server_sources()
        .into_iter()
        .filter(|(file, _)| file.starts_with("shared/evidence/src/workbook/"))
        .flat_map(|(_, workbook)| {
            calls_of(&workbook, "Problem::new")
                .into_iter()
                .filter_map(|p| call_args(&workbook, p).get(2).and_then(|a| code_literal(a)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every UPPER_SNAKE string literal of the server's sources (comments left out), with the files
/// that write it.
fn upper_literals(sources: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in sources {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match skip_literal(b, i) {
                Some(end) => {
                    if b[i] == b'"'
                        && let Some(c) = code_literal(&text[i..end])
                    {
                        out.entry(c).or_default().insert(file.clone());
                    }
                    i = end;
                }
                None => i += 1,
            }
        }
    }
    out
}

/// The evidence check's problem codes are listed where the upload is documented.
#[test]
fn the_evidence_problems_are_documented_on_the_upload() {
    let spec = spec();
    let upload = &spec["paths"]["/api/v1/certificaciones/{folio}/evidencias"]["post"];
    let text = upload["description"].as_str().unwrap();
    let codes = evidence_problem_codes();
    assert!(codes.len() > 15, "{codes:?}");
    let missing: Vec<_> = codes
        .iter()
        .filter(|c| !text.contains(c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "problems of the evidence check missing from the upload's description: {missing:?}"
    );
}

// ------------------------------------------------------------------------------------------
// (b) Every documented cadena, signed with SAT's test e.firma, is accepted
// ------------------------------------------------------------------------------------------

/// SAT's test FIELs (shared/efirma/testdata/sat) valid today: a persona moral (employer, and
/// analyst in this app) and a persona física (developer).
const SAT_MORAL: &str = "FIEL_EKU9003173C9_30001000000500003415";
const SAT_FISICA: &str = "FIEL_CACX7605101P8_30001000000500003282";

/// A documented cadena, where it was found.
struct Documented {
    cadena: String,
    /// The operation that takes it (`None`: README.md's examples, sent to the same operation as
    /// the action's `openapi.yaml` cadena).
    op: Option<(String, String)>,
    terms: Option<String>,
}

fn documented_cadenas(spec: &Yaml) -> BTreeMap<String, Vec<Documented>> {
    let term_ids: Vec<String> = spec["components"]["parameters"]["TerminosId"]["schema"]["enum"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mut out: BTreeMap<String, Vec<Documented>> = BTreeMap::new();
    for op in operations(spec) {
        let cadenas = cadenas_in(&op.description);
        let named: Vec<&String> = term_ids
            .iter()
            .filter(|t| op.description.contains(&format!("`{t}`")))
            .collect();
        for cadena in cadenas {
            let fields = efirma::cadena::parse(&cadena).unwrap();
            let terms = fields.get(6).filter(|t| !t.is_empty()).map(|_| {
                // The act's terms as its description names them; ACEPTACION_TERMINOS takes
                // whichever `{id}` it is sent to.
                named
                    .first()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "relaciones-de-confianza".to_string())
            });
            out.entry(fields[2].clone()).or_default().push(Documented {
                cadena,
                op: Some((op.method.clone(), op.path.clone())),
                terms,
            });
        }
    }
    for cadena in cadenas_in(&read("README.md")) {
        let fields = efirma::cadena::parse(&cadena).unwrap();
        out.entry(fields[2].clone()).or_default().push(Documented {
            cadena,
            op: None,
            terms: None,
        });
    }
    out
}

/// Fills documented cadenas the way a client does (the signer's RFC, the service's time, a
/// fresh nonce, the terms' SHA-256, the data), keeping their layout, signs and sends them.
struct Filler<'a> {
    app: &'a TestApp,
    cadenas: BTreeMap<String, Vec<Documented>>,
    used: BTreeSet<String>,
}

/// What one act needs besides its documented cadena.
#[derive(Default)]
struct Send<'a> {
    token: Option<&'a str>,
    /// Values of the path's parameters.
    path: &'a [(&'a str, &'a str)],
    /// Values of the cadena's `<placeholder>` data, by field name.
    values: &'a [(&'a str, &'a str)],
    /// Body fields outside the cadena (`contrasena`).
    extra: &'a [(&'a str, Value)],
    /// The exact `avisos` bytes of a publication.
    avisos: Option<&'a str>,
}

impl Filler<'_> {
    /// Every documented cadena of `accion`, each signed by `signer` and sent to the action's
    /// operation: the answers (each asserted 201).
    fn send(&mut self, accion: &str, signer: &Signer, s: Send<'_>) -> Vec<Value> {
        let count = self.cadenas.get(accion).map(Vec::len).unwrap_or(0);
        assert!(count > 0, "openapi.yaml documents no cadena of {accion}");
        (0..count)
            .map(|i| self.send_one(accion, i, signer, &s))
            .collect()
    }

    /// The `i`-th documented cadena of `accion`.
    fn send_one(&mut self, accion: &str, i: usize, signer: &Signer, s: &Send<'_>) -> Value {
        let docs = &self.cadenas[accion];
        let d = &docs[i];
        // README.md's examples go where openapi.yaml's cadena of the same action goes.
        let from_yaml = docs
            .iter()
            .find(|d| d.op.is_some())
            .unwrap_or_else(|| panic!("{accion}: only README.md documents it"));
        let (method, mut path) = from_yaml.op.clone().unwrap();
        assert_eq!(method, "post", "{accion}");
        for (k, v) in s.path {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        assert!(!path.contains('{'), "{path}: a parameter is missing");
        let mut fields = efirma::cadena::parse(&d.cadena).unwrap();
        assert_eq!(
            efirma::cadena::cadena_original(&fields),
            d.cadena,
            "the documented cadena is not in canonical form"
        );
        // A cadena missing fields is still sent: the server's refusal is the point.
        assert!(fields.len() >= 6, "{}: fewer than 6 fields", d.cadena);
        assert_eq!((fields[0].as_str(), fields[1].as_str()), ("AVISOS", "1"));
        assert_eq!(fields[2], accion);
        let nonce = nonce(self.app, &signer.rfc, accion);
        let fecha = server_now(self.app);
        fields[3] = signer.rfc.clone();
        fields[4] = fecha.clone();
        fields[5] = nonce.clone();
        let terms = if fields.get(6).is_none_or(|t| t.is_empty()) {
            None
        } else {
            let id = d
                .terms
                .clone()
                .or_else(|| from_yaml.terms.clone())
                .unwrap_or_else(|| panic!("{}: which terms?", d.cadena));
            Some(terms_hash(self.app, &id))
        };
        if let Some(sha) = &terms {
            fields[6] = sha.clone();
        }
        let mut datos = Map::new();
        for f in fields.iter_mut().skip(7) {
            let (name, value) = f.split_once('=').expect("datos are name=value");
            let value = if value.contains('<') {
                s.values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("{accion}: no value for {name}"))
                    .1
                    .to_string()
            } else {
                value.to_string()
            };
            datos.insert(name.to_string(), json!(value));
            *f = format!("{name}={value}");
        }
        let cadena = efirma::cadena::cadena_original(&fields);
        let mut body = Map::new();
        body.insert("rfc".into(), json!(signer.rfc));
        body.insert("nonce".into(), json!(nonce));
        body.insert("fecha".into(), json!(fecha));
        body.insert("datos".into(), Value::Object(datos));
        if let Some(sha) = terms {
            body.insert("acepto_terminos".into(), json!(true));
            body.insert("terminos_sha256".into(), json!(sha));
        }
        body.insert("certificado".into(), json!(B64.encode(&signer.certificate)));
        body.insert("firma".into(), json!(signer.sign(&cadena)));
        for (k, v) in s.extra {
            body.insert(k.to_string(), v.clone());
        }
        let mut bytes = serde_json::to_vec(&Value::Object(body)).unwrap();
        if let Some(raw) = s.avisos {
            bytes.pop();
            bytes.extend_from_slice(b",\"avisos\":");
            bytes.extend_from_slice(raw.as_bytes());
            bytes.push(b'}');
        }
        let mut req = TestRequest::post(&path)
            .header("content-type", "application/json")
            .body(bytes);
        if let Some(t) = s.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let r: TestResponse = self.app.send(req);
        assert_eq!(
            r.status,
            201,
            "the documented cadena {} (filled: {cadena}) was refused: {}",
            d.cadena,
            r.text()
        );
        let documented = d.cadena.clone();
        self.used.insert(documented);
        r.json()
    }
}

#[test]
fn every_documented_cadena_signed_with_sat_test_credentials_is_accepted() {
    let moral = Signer::sat(SAT_MORAL);
    let fisica = Signer::sat(SAT_FISICA);
    let app =
        TestApp::start(app_options().variable("analistas", format!("{ANALISTA},{}", moral.rfc)));
    let spec = spec();
    let cadenas = documented_cadenas(&spec);
    // Every action a nonce can be asked for has its cadena documented.
    let documented: BTreeSet<&str> = cadenas.keys().map(String::as_str).collect();
    let all: BTreeSet<&str> = avisos_acts::act::actions::ALL.iter().copied().collect();
    assert_eq!(documented, all, "actions and documented cadenas differ");
    let every: BTreeSet<String> = cadenas
        .values()
        .flatten()
        .map(|d| d.cadena.clone())
        .collect();
    let mut f = Filler {
        app: &app,
        cadenas,
        used: BTreeSet::new(),
    };

    // INICIO_SESION: each documented cadena for the role it names (or for every role).
    let mut tokens: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..f.cadenas["INICIO_SESION"].len() {
        let fields = efirma::cadena::parse(&f.cadenas["INICIO_SESION"][i].cadena).unwrap();
        let rol = fields[7].strip_prefix("rol=").expect("rol").to_string();
        let roles: Vec<&str> = if rol.contains('<') {
            vec!["patron", "desarrollador", "analista"]
        } else {
            vec![rol.as_str()]
        };
        for rol in roles {
            let signer = if rol == "desarrollador" {
                &fisica
            } else {
                &moral
            };
            let values = [("rol", rol)];
            let s = Send {
                values: &values,
                ..Send::default()
            };
            let answer = f.send_one("INICIO_SESION", i, signer, &s);
            tokens.insert(
                rol.to_string(),
                answer["token"].as_str().unwrap().to_string(),
            );
        }
    }
    let (patron, dev, analista) = (
        tokens["patron"].as_str(),
        tokens["desarrollador"].as_str(),
        tokens["analista"].as_str(),
    );

    let terms = [("id", "relaciones-de-confianza")];
    let accept = Send {
        path: &terms,
        ..Send::default()
    };
    f.send("ACEPTACION_TERMINOS", &moral, accept);
    let as_patron = Send {
        token: Some(patron),
        ..Send::default()
    };
    let generated = f.send("GENERAR_CONTRASENA", &moral, as_patron);
    let password = generated.last().unwrap()["contrasena"]
        .as_str()
        .unwrap()
        .to_string();
    let registration = [
        ("rfc_desarrollador", DESARROLLADOR_2),
        ("razon_social", "SISTEMAS DE NOMINA DEMO SC"),
        ("estatus", "autorizada"),
    ];
    let register = Send {
        token: Some(analista),
        values: &registration,
        ..Send::default()
    };
    f.send("REGISTRAR_DESARROLLADOR", &moral, register);

    // The certification of the persona física, as the guide goes.
    let request = [
        ("razon_social", "XOCHILT CASAS CHAVEZ"),
        ("correo", "xochilt@nomina-pruebas.mx"),
    ];
    let solicitud = Send {
        token: Some(dev),
        values: &request,
        ..Send::default()
    };
    let requested = f.send("SOLICITAR_CERTIFICACION", &fisica, solicitud);
    let folio = requested[0]["folio"].as_str().unwrap().to_string();
    upload_correct_evidence(&app, &folio, dev);
    let by_folio = [("folio", folio.as_str())];
    let dictamen = [
        ("folio", folio.as_str()),
        ("resultado", "aprobar"),
        ("observaciones", ""),
    ];
    let dictaminar = Send {
        token: Some(analista),
        path: &by_folio,
        values: &dictamen,
        ..Send::default()
    };
    f.send("DICTAMINAR_CERTIFICACION", &moral, dictaminar);
    let aceptar = Send {
        token: Some(dev),
        path: &by_folio,
        values: &by_folio,
        ..Send::default()
    };
    f.send("ACEPTAR_APROBACION", &fisica, aceptar);

    // The employer's relation with it, the institute's avisos, and every cancellation.
    let hoy: chrono::NaiveDate = server_now(&app)[..10].parse().unwrap();
    let (inicio, fin) = (hoy.to_string(), (hoy + chrono::Months::new(2)).to_string());
    let relation = [
        ("rfc_desarrollador", fisica.rfc.as_str()),
        ("inicio_vigencia", inicio.as_str()),
        ("fin_vigencia", fin.as_str()),
    ];
    let contrasena = [("contrasena", json!(password))];
    let adicionar = Send {
        token: Some(patron),
        values: &relation,
        extra: &contrasena,
        ..Send::default()
    };
    let added = f.send("ADICIONAR_RELACION", &moral, adicionar);
    let no_caso = added[0]["folio"].as_str().unwrap().to_string();
    let rows: Vec<Value> = (1..=3).map(|i| avisos_datos::row(i, hoy)).collect();
    let raw = serde_json::to_string(&rows).unwrap();
    let sha: String = Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let publication = [
        ("rfc_patron", moral.rfc.as_str()),
        ("total_avisos", "3"),
        ("avisos_sha256", sha.as_str()),
    ];
    let publicar = Send {
        token: Some(analista),
        values: &publication,
        avisos: Some(&raw),
        ..Send::default()
    };
    f.send("PUBLICAR_AVISOS", &moral, publicar);
    let by_caso = [("no_caso", no_caso.as_str())];
    let cancelar_relacion = Send {
        token: Some(patron),
        path: &by_caso,
        values: &by_caso,
        ..Send::default()
    };
    f.send("CANCELAR_RELACION", &moral, cancelar_relacion);
    let cancelar_certificacion = Send {
        token: Some(dev),
        path: &by_folio,
        values: &by_folio,
        ..Send::default()
    };
    f.send("CANCELAR_CERTIFICACION", &fisica, cancelar_certificacion);
    let as_patron = Send {
        token: Some(patron),
        ..Send::default()
    };
    f.send("CANCELAR_CONTRASENA", &moral, as_patron);
    assert_eq!(f.used, every, "documented cadenas never sent");
}

/// The round's correct evidence, uploaded by the developer: the request moves to «En análisis».
fn upload_correct_evidence(app: &TestApp, folio: &str, token: &str) {
    use avisos_kv::KeyValue;
    let raw = host_kv_of(app)
        .get(&format!("certificacion:{folio}"))
        .unwrap()
        .expect("the request's record");
    let record: Value = serde_json::from_slice(&raw).unwrap();
    let ronda = record["rondas"].as_array().unwrap().last().unwrap().clone();
    let set = avisos_evidence::generate(&avisos_evidence::TestSetId {
        semilla: ronda["semilla"].as_u64().unwrap(),
        folio: folio.to_string(),
        ronda: ronda["ronda"].as_u64().unwrap() as u32,
        fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
    });
    let workbook = avisos_evidence::sample::workbook_xlsx(
        &set,
        &avisos_evidence::sample::SampleOptions::default(),
    );
    let r = app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header(
                "content-type",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(workbook),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}

// ------------------------------------------------------------------------------------------
// (c) Every enum equals the server's list
// ------------------------------------------------------------------------------------------

fn serialized<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items
        .into_iter()
        .map(|i| {
            serde_json::to_value(i)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// String literals in the lines of `file` (tests left out) that follow a line containing
/// `marker`, up to `lines` lines after it (the values an expression can take).
fn literals_after(file: &str, marker: &str, lines: usize) -> Vec<String> {
    let text = without_tests(&read(file));
    let all: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in all.iter().enumerate() {
        if !l.contains(marker) {
            continue;
        }
        for l in &all[i..(i + lines + 1).min(all.len())] {
            for (k, part) in l.split('"').enumerate() {
                let word = !part.is_empty()
                    && part
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c == b'_' || c == b'-');
                if k % 2 == 1 && word && !out.contains(&part.to_string()) {
                    out.push(part.to_string());
                }
            }
        }
    }
    out
}

/// Every `enum` of the document but the error codes, as (location, values).
fn enums(v: &Yaml, at: String, out: &mut Vec<(String, Vec<String>)>) {
    match v {
        Yaml::Mapping(m) => {
            for (k, x) in m {
                let k = k
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("{k:?}"));
                let here = format!("{at}/{k}");
                if k == "enum" {
                    let error_code = at.ends_with("/codigo") && at.contains("/responses/");
                    if !error_code {
                        let values = x
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_str().expect("string enum").to_string())
                            .collect();
                        out.push((at.clone(), values));
                    }
                } else {
                    enums(x, here, out);
                }
            }
        }
        Yaml::Sequence(s) => {
            for (i, x) in s.iter().enumerate() {
                enums(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_enum_equals_the_servers_list() {
    use avisos_acts::session::Role;
    use avisos_certification::notify::{Estado, Evento};
    use avisos_certification::status::Estatus;

    let roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    // The table's `rol`: `Viewer::of` admits employers and developers only.
    let table_roles: Vec<String> = [Role::Patron, Role::Desarrollador]
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    assert!(
        read("shared/relations/src/relation/mod.rs")
            .contains("session.require_role(&[Role::Patron, Role::Desarrollador])?;"),
        "Viewer::of changed: update the table's roles here"
    );
    let claves: Vec<String> = Estatus::ALL.iter().map(|e| e.clave().to_string()).collect();
    let tipos_aviso: Vec<String> = avisos_notices::aviso::TipoAviso::ALL
        .iter()
        .map(|t| t.code().to_string())
        .collect();
    let password_states = literals_after("shared/relations/src/password/mod.rs", "estado:", 3);
    let expected: Vec<(&str, Vec<String>)> = vec![
        (
            "/paths//api/v1/nonces/post/requestBody/content/application/json/schema/properties/accion",
            avisos_acts::act::actions::ALL
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        (
            "/paths//api/v1/acuses/{folio}/get/parameters/1/schema",
            literals_after("functions/acuses/src/lib.rs", "Some(\"", 0),
        ),
        (
            "/paths//api/v1/sello/get/parameters/0/schema",
            literals_after("functions/seal/src/lib.rs", "Some(\"", 0),
        ),
        (
            "/paths//api/v1/analistas/certificaciones/get/parameters/0/schema",
            claves.clone(),
        ),
        (
            "/components/parameters/TerminosId/schema",
            avisos_acts::terms::TermsId::ALL
                .iter()
                .map(|t| t.slug().to_string())
                .collect(),
        ),
        ("/components/schemas/Sesion/properties/rol", roles),
        (
            "/components/schemas/EstadoContrasena/properties/estado",
            password_states,
        ),
        (
            "/components/schemas/Relacion/properties/servicio",
            avisos_relations::Servicio::ALL
                .iter()
                .map(|s| s.nombre().to_string())
                .collect(),
        ),
        (
            "/components/schemas/Relacion/properties/estatus",
            avisos_relations::relation::Estatus::ALL
                .iter()
                .map(|s| s.texto().to_string())
                .collect(),
        ),
        (
            "/components/schemas/Relacion/properties/motivo/properties/codigo",
            vec![
                avisos_relations::relation::MOTIVO_VIGENCIA_TERMINADA.to_string(),
                avisos_relations::relation::MOTIVO_CERTIFICACION_CANCELADA.to_string(),
            ],
        ),
        (
            "/components/schemas/TablaRelaciones/properties/rol",
            table_roles,
        ),
        (
            "/components/schemas/Certificacion/properties/estatus",
            Estatus::ALL.iter().map(|e| e.texto().to_string()).collect(),
        ),
        (
            "/components/schemas/Certificacion/properties/clave_estatus",
            claves,
        ),
        (
            "/components/schemas/Certificacion/properties/acciones/items",
            literals_after("shared/certification/src/view.rs", "vec![\"", 0),
        ),
        (
            "/components/schemas/Notificacion/properties/evento",
            serialized(Evento::ALL),
        ),
        (
            "/components/schemas/Notificacion/properties/estado",
            serialized(Estado::ALL),
        ),
        (
            "/components/schemas/Salud/properties/estado",
            literals_after("shared/http/src/health.rs", "estado:", 4),
        ),
        (
            "/components/schemas/Salud/properties/configuracion/properties/modo/oneOf/0",
            [avisos_acts::Mode::Demo, avisos_acts::Mode::Produccion]
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
        ),
        (
            "/components/schemas/Aviso/properties/tipo_aviso",
            tipos_aviso.clone(),
        ),
        (
            "/components/schemas/Aviso/properties/tipo_descuento",
            avisos_notices::aviso::TipoDescuento::ALL
                .iter()
                .map(|t| t.code().to_string())
                .collect(),
        ),
        (
            "/components/schemas/ConsultaAvisos/properties/tipo_aviso",
            tipos_aviso,
        ),
        (
            "/components/schemas/CambioAviso/properties/cambio",
            avisos_notices::cambios::TipoCambio::ALL
                .iter()
                .map(|t| {
                    serde_json::to_value(t)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        ),
    ];
    let mut found = Vec::new();
    enums(&spec(), String::new(), &mut found);
    let mut problems = Vec::new();
    for (at, values) in &found {
        let Some((_, server)) = expected.iter().find(|(p, _)| p == at) else {
            problems.push(format!(
                "{at}: an enum this test does not tie to the server: {values:?}"
            ));
            continue;
        };
        let doc: BTreeSet<&String> = values.iter().collect();
        let srv: BTreeSet<&String> = server.iter().collect();
        if doc.len() != values.len() || doc != srv || server.is_empty() {
            problems.push(format!(
                "{at}: documented {values:?}, the server's list is {server:?}"
            ));
        }
    }
    for (p, _) in &expected {
        if !found.iter().any(|(at, _)| at == p) {
            problems.push(format!("{p}: no longer an enum of openapi.yaml"));
        }
    }
    // The directory's only status, documented as a constant.
    let directorio = &spec()["components"]["schemas"]["ResultadoDirectorio"]["properties"]["resultados"]
        ["items"]["properties"]["estatus"]["const"];
    if directorio.as_str() != Some(avisos_relations::directory::CertStatus::Autorizada.texto()) {
        problems.push(format!("ResultadoDirectorio estatus: {directorio:?}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
