//! Evidence upload benchmark in the component (run by `tests/bench/evidencia.sh`): the
//! `certification-evidence` component on the in-process host (in-memory store), with the same
//! workbooks as the native bench (`cargo bench -p avisos-evidence --bench evidence`).
//!
//! `bench-evidencia [--runs N]`: a developer logs in and requests certification (signed act),
//! the set is regenerated from the stored round, then:
//! - the 5 MB workbook (exactly `MAX_WORKBOOK_BYTES`) with one problem on its last tab (CFDI
//!   without the deduction) is uploaded N times: the whole check runs and the answer is 422, so
//!   nothing changes and the upload can be repeated;
//! - 5 MB + 1 byte (413 from `serve`, before the body is read whole);
//! - the valid 5 MB workbook once (201: check, grading, storing the file, "En análisis").
//!
//! Prints the median and best time of each over HTTP and the growth of the process's peak RSS
//! (host + wasm linear memory) during the uploads.

use std::time::{Duration, Instant};

use avisos_e2e::bench::{arg, reset_peak_rss, status_kb};
use avisos_e2e::*;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_evidence::{MAX_WORKBOOK_BYTES, TestSetId};
use avisos_host::testing::{TestApp, TestRequest, TestResponse};
use serde_json::Value;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn upload(app: &TestApp, folio: &str, token: &str, bytes: &[u8]) -> TestResponse {
    app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", XLSX)
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(bytes.to_vec()),
    )
}

/// Sends `bytes` over a raw connection (the server may answer 413 and close before the body is
/// all sent, which the test client treats as a failure); returns the status.
fn raw_upload(app: &TestApp, folio: &str, token: &str, bytes: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(app.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let _ = write!(
        s,
        "POST /api/v1/certificaciones/{folio}/evidencias?archivo=e.xlsx HTTP/1.1\r\nhost: {}\r\n\
         authorization: Bearer {token}\r\ncontent-type: {XLSX}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        app.addr(),
        bytes.len()
    );
    let _ = s.write_all(bytes);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

struct Measure {
    times: Vec<Duration>,
    rss_growth_kb: u64,
    status: u16,
}

fn measure(runs: usize, mut f: impl FnMut() -> u16) -> Measure {
    let mut times = Vec::new();
    let mut growth = 0;
    let mut status = 0;
    for _ in 0..runs {
        let before = status_kb("VmRSS:");
        reset_peak_rss();
        let t = Instant::now();
        status = f();
        times.push(t.elapsed());
        growth = growth.max(status_kb("VmHWM:").saturating_sub(before));
    }
    times.sort();
    Measure {
        times,
        rss_growth_kb: growth,
        status,
    }
}

fn row(label: &str, bytes: usize, m: &Measure) {
    println!(
        "| {label} | {:.2} MiB | {} | {:.1} | {:.1} | {:.1} MiB | {} |",
        bytes as f64 / 1_048_576.0,
        m.times.len(),
        m.times[m.times.len() / 2].as_secs_f64() * 1000.0,
        m.times[0].as_secs_f64() * 1000.0,
        m.rss_growth_kb as f64 / 1024.0,
        m.status
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = arg(&args, "--runs").map_or(10, |r| r.parse().expect("--runs N"));
    let app = TestApp::start(app_options().quiet());
    let dev = Signer::demo(DESARROLLADOR);
    let token = login(&app, &dev, "desarrollador");
    let act = prepare(
        &app,
        &dev,
        "SOLICITAR_CERTIFICACION",
        Some("certificacion-solicitud"),
        &[
            ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
            ("correo", "certificacion@nominas-demo.mx"),
        ],
    );
    let r = send_act_as(&app, "/api/v1/certificaciones", &act, &token);
    assert_eq!(r.status, 201, "solicitud: {}", r.text());
    let folio = r.json::<Value>()["folio"]
        .as_str()
        .expect("folio")
        .to_string();

    // The stored round's set (as tests/e2e/tests/certificacion.rs reads it).
    let kv = host_kv(
        app.app()
            .expect("app")
            .stores()
            .get("default")
            .expect("store")
            .clone(),
    );
    let raw = avisos_kv::KeyValue::get(&kv, &format!("certificacion:{folio}"))
        .expect("kv")
        .expect("record");
    let record: Value = serde_json::from_slice(&raw).expect("json");
    let ronda = record["rondas"]
        .as_array()
        .and_then(|r| r.last())
        .expect("round");
    let set = avisos_evidence::generate(&TestSetId {
        semilla: ronda["semilla"].as_u64().expect("semilla"),
        folio: folio.clone(),
        ronda: ronda["ronda"].as_u64().expect("ronda") as u32,
        fecha: ronda["fecha"]
            .as_str()
            .expect("fecha")
            .parse()
            .expect("date"),
    });

    let padded = |cfdi_without_deduction| {
        workbook_xlsx(
            &set,
            &SampleOptions {
                pad_to_bytes: Some(MAX_WORKBOOK_BYTES),
                cfdi_without_deduction,
                ..SampleOptions::default()
            },
        )
    };
    let refused = padded(true);
    let valid = padded(false);
    let over = vec![b'x'; MAX_WORKBOOK_BYTES + 1];
    // Warm-up: the first request compiles nothing (components are precompiled) but touches pages.
    let _ = upload(&app, &folio, &token, &refused);

    println!(
        "| upload (component on the host) | body | runs | median ms | best ms | peak RSS growth | status |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let m = measure(runs, || upload(&app, &folio, &token, &refused).status);
    row("5 MB .xlsx, whole check, refused (CFDI)", refused.len(), &m);
    let m = measure(runs, || raw_upload(&app, &folio, &token, &over));
    row("5 MB + 1 byte (refused before reading)", over.len(), &m);
    let m = measure(1, || {
        let r = upload(&app, &folio, &token, &valid);
        assert_eq!(r.status, 201, "{}", r.text());
        r.status
    });
    row(
        "5 MB .xlsx accepted (check + grade + store)",
        valid.len(),
        &m,
    );
}
