//! Benchmark of the avisos components (run by `tests/bench/avisos.sh`).
//!
//! `bench-avisos setup --url http://127.0.0.1:PORT --out DIR [--avisos 10000] [--loads 3]`
//! drives a running app over HTTP:
//! 1. setup (not measured): the demo developer certified, the demo employer's service password
//!    and a relation for Avisos;
//! 2. **bulk load**, measured: `POST /api/v1/avisos/publicaciones` with `--avisos` new avisos for
//!    the demo employer, the same publication again (every folio *sin cambios*), and `--loads`
//!    publications of `--avisos` new avisos for other employers (each a fresh RFC). Each row is one
//!    signed request (signing and hashing happen before the clock starts), timed end to end;
//! 3. writes what `avisos-load` needs for the consultation rows into DIR: the developer's and
//!    the employer's Bearer tokens and the consultation bodies.

use std::time::Instant;

use avisos_e2e::bench::{self, Client, arg};
use avisos_e2e::*;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

#[path = "../tests/avisos_datos/mod.rs"]
mod avisos_datos;

fn act(c: &Client, path: &str, token: &str, body: Map<String, Value>) -> Value {
    let (st, v) = c.json("POST", path, Some(token), &Value::Object(body));
    assert_eq!(st, 201, "{path}: {v}");
    v
}

/// A valid company RFC for bulk-load employer `i`.
fn employer_rfc(i: usize) -> String {
    let base = format!("BLK2001{:02}A{}", 10 + i % 18, i % 10);
    bench::rfc(&base)
}

/// A signed publication body for `patron`, `avisos` spliced in as exactly `raw`.
fn publication(c: &Client, analyst: &Signer, patron: &str, raw: &str, n: usize) -> Vec<u8> {
    let sha: String = Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = c.sign(
        analyst,
        "PUBLICAR_AVISOS",
        None,
        &[
            ("rfc_patron", patron),
            ("total_avisos", &n.to_string()),
            ("avisos_sha256", &sha),
        ],
    );
    let mut s = serde_json::to_string(&Value::Object(body)).unwrap();
    s.pop();
    s.push_str(",\"avisos\":");
    s.push_str(raw);
    s.push('}');
    s.into_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("setup") {
        eprintln!("uso: bench-avisos setup --url URL --out DIR [--avisos 10000] [--loads 3]");
        std::process::exit(2);
    }
    let url = arg(&args, "--url").expect("--url");
    let out = std::path::PathBuf::from(arg(&args, "--out").expect("--out"));
    let n: usize = arg(&args, "--avisos").map_or(10_000, |v| v.parse().unwrap());
    let loads: usize = arg(&args, "--loads").map_or(3, |v| v.parse().unwrap());
    let c = Client::new(&url);

    // 1. Setup.
    let analyst = Signer::demo(ANALISTA);
    let analyst_token = c.login(&analyst, "analista");
    let reg = c.sign(
        &analyst,
        "REGISTRAR_DESARROLLADOR",
        None,
        &[
            ("rfc_desarrollador", DESARROLLADOR),
            ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
            ("estatus", "autorizada"),
        ],
    );
    act(&c, "/api/v1/desarrolladores/registro", &analyst_token, reg);
    let patron = Signer::demo(PATRON);
    let patron_token = c.login(&patron, "patron");
    let g = act(
        &c,
        "/api/v1/contrasena-servicio",
        &patron_token,
        c.sign(&patron, "GENERAR_CONTRASENA", None, &[]),
    );
    let password = g["contrasena"].as_str().unwrap().to_string();
    let (_, terms) = c.json(
        "GET",
        "/api/v1/terminos/relaciones-de-confianza",
        None,
        &Value::Null,
    );
    let (_, t) = c.json(
        "GET",
        "/api/v1/relaciones",
        Some(&patron_token),
        &Value::Null,
    );
    let hoy = t["hoy"].as_str().unwrap().to_string();
    let fin = t["vigencias"]["opciones"][2]["fin_vigencia"]
        .as_str()
        .unwrap()
        .to_string();
    let mut add = c.sign(
        &patron,
        "ADICIONAR_RELACION",
        terms["sha256"].as_str(),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", DESARROLLADOR),
            ("inicio_vigencia", &hoy),
            ("fin_vigencia", &fin),
        ],
    );
    add.insert("contrasena".into(), json!(password));
    act(&c, "/api/v1/relaciones", &patron_token, add);

    // 2. Bulk loads: all avisos inside the default consultation range (the last 50 days).
    let today: chrono::NaiveDate = hoy.parse().unwrap();
    let rows = avisos_datos::spread(n as u64, today, 50);
    let raw = serde_json::to_string(&rows).unwrap();
    eprintln!(
        "publishing {n} avisos ({:.1} MB of JSON) {} times...",
        raw.len() as f64 / 1e6,
        loads + 2
    );
    let mut bodies = vec![
        (
            format!("publish {n} new avisos (demo employer)"),
            publication(&c, &analyst, PATRON, &raw, n),
        ),
        (
            format!("publish the same {n} again (sin cambios)"),
            publication(&c, &analyst, PATRON, &raw, n),
        ),
    ];
    for i in 0..loads {
        bodies.push((
            format!("publish {n} new avisos (employer {})", i + 1),
            publication(&c, &analyst, &employer_rfc(i), &raw, n),
        ));
    }
    println!(
        "{:<48} {:>10} {:>12} {:>10}",
        "bulk load (one signed request)", "ms", "avisos/s", "status"
    );
    for (label, body) in bodies {
        let started = Instant::now();
        let (st, v) = c.request_json(
            "POST",
            "/api/v1/avisos/publicaciones",
            Some(&analyst_token),
            &body,
        );
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["rechazados"], 0, "{v}");
        println!(
            "{:<48} {:>10.0} {:>12.0} {:>10}",
            label,
            ms,
            n as f64 / (ms / 1000.0),
            st
        );
    }

    // 3. What avisos-load needs.
    let dev_token = c.login(&Signer::demo(DESARROLLADOR), "desarrollador");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("token-desarrollador"), &dev_token).unwrap();
    std::fs::write(out.join("token-patron"), &patron_token).unwrap();
    let body = |extra: Value| {
        let mut m = extra.as_object().cloned().unwrap_or_default();
        m.insert("rfc_patron".into(), json!(PATRON));
        m.insert("contrasena".into(), json!(password));
        serde_json::to_string(&Value::Object(m)).unwrap()
    };
    let files = [
        ("consulta-100", body(json!({}))),
        (
            "consulta-1000",
            body(json!({"por_pagina": 1000, "pagina": 5})),
        ),
        ("consulta-nss", body(json!({"nss": rows[n / 2]["nss"]}))),
    ];
    for (name, b) in files {
        // Check the request once before it is measured.
        let (st, v) = c.request_json(
            "POST",
            "/api/v1/avisos/consultas",
            Some(&dev_token),
            b.as_bytes(),
        );
        assert_eq!(st, 200, "{name}: {v}");
        assert!(v["total"].as_u64().unwrap() >= 1, "{name}: {v}");
        std::fs::write(out.join(name), b).unwrap();
    }
}
