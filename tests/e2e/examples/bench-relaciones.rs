//! Benchmarks of the relaciones de confianza components (run by `tests/bench/relaciones.sh`).
//!
//! `bench-relaciones acts --url http://127.0.0.1:PORT [--adds N] [--logins N] [--connections C]
//!  [--token-file F] [--reference REQ/S]` drives a running app over HTTP: it certifies N developers and generates the
//! employer's service password (setup, not measured), then pre-signs N logins and N additions
//! (single-use nonces, so each request is unique; signing happens before the clock starts) and
//! sends each batch over C concurrent connections, printing requests/s and latency percentiles.
//! The login row is the per-request cost of the e.firma check (certificate chain + signature +
//! nonce) with no other work; the addition row adds the password check (HMAC), the seal and the writes. The
//! employer's Bearer token goes to the token file, for `avisos-load` on the read endpoints.
//!
//! `bench-relaciones export [--sizes 1000,10000]` starts the app in process (in-memory store),
//! bulk-loads each size of relations for one employer and times `GET /api/v1/relaciones` and
//! `GET /api/v1/relaciones/exportacion` (median of 3), with the process's peak RSS growth during
//! the export, and the peak heap of the same code (list + xlsx) run natively.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use avisos_e2e::bench::{self, Client, arg, reset_peak_rss, status_kb};
use avisos_e2e::*;
use avisos_host::testing::TestApp;
use serde_json::{Value, json};

/// Counts live heap bytes and their peak (for the native peak-memory figure).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("acts") => acts(&args),
        Some("export") => export(&args),
        _ => {
            eprintln!("uso: bench-relaciones acts --url URL [...] | export [--sizes 1000,10000]");
            std::process::exit(2);
        }
    }
}

/// A valid company RFC for developer number `i` (check digit computed).
fn developer_rfc(i: usize) -> String {
    let base = format!(
        "BEN{:02}{:02}{:02}A{}",
        10 + i / 336 % 90,
        i / 28 % 12 + 1,
        i % 28 + 1,
        i % 10
    );
    bench::rfc(&base)
}

struct Measured {
    label: String,
    latencies: Vec<Duration>,
    elapsed: Duration,
    statuses: std::collections::BTreeMap<u16, usize>,
}

/// Sends pre-built requests over `connections` threads; each request exactly once.
fn drive(
    label: &str,
    c: &Client,
    connections: usize,
    requests: Vec<(String, Option<String>, Vec<u8>)>,
) -> Measured {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|_| {
            let (requests, next, c) = (requests.clone(), next.clone(), c.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, token, body)) = requests.get(i) else {
                        return out;
                    };
                    let t = Instant::now();
                    let (status, _) = c.request("POST", path, token.as_deref(), body);
                    out.push((t.elapsed(), status));
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses = std::collections::BTreeMap::new();
    for h in handles {
        for (d, s) in h.join().unwrap() {
            latencies.push(d);
            *statuses.entry(s).or_insert(0) += 1;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Measured {
        label: label.into(),
        latencies,
        elapsed,
        statuses,
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// The rows; with `reference` (hello's req/s of the same run), each row's ratio to it.
fn print_rows(rows: &[Measured], connections: usize, reference: Option<f64>) {
    println!("\n{connections} connections, each request unique (pre-signed)");
    println!(
        "{:<44} {:>8} {:>9} {:>9} {:>9} {:>8}  statuses",
        "request", "req/s", "p50 ms", "p99 ms", "max ms", "× hello"
    );
    for m in rows {
        let n = m.latencies.len();
        let rps = n as f64 / m.elapsed.as_secs_f64();
        println!(
            "{:<44} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>8}  {:?}",
            m.label,
            rps,
            pct(&m.latencies, 50.0),
            pct(&m.latencies, 99.0),
            m.latencies.last().unwrap().as_secs_f64() * 1000.0,
            reference.map_or("–".to_string(), |r| format!("{:.3}", rps / r)),
            m.statuses
        );
    }
}

fn acts(args: &[String]) {
    let url = arg(args, "--url").expect("--url");
    let adds: usize = arg(args, "--adds").map_or(200, |v| v.parse().unwrap());
    let logins: usize = arg(args, "--logins").map_or(200, |v| v.parse().unwrap());
    let connections: usize = arg(args, "--connections").map_or(4, |v| v.parse().unwrap());
    let c = Client::new(&url);

    // Setup (not measured): developers certified by the analyst, the employer's password.
    let analyst = Signer::demo(ANALISTA);
    let analyst_token = c.login(&analyst, "analista");
    eprintln!("certifying {adds} developers...");
    let devs: Vec<String> = (0..adds).map(developer_rfc).collect();
    for (i, rfc) in devs.iter().enumerate() {
        let name = format!("DESARROLLOS DE NÓMINA {i}");
        let body = c.sign(
            &analyst,
            "REGISTRAR_DESARROLLADOR",
            None,
            &[
                ("rfc_desarrollador", rfc),
                ("razon_social", &name),
                ("estatus", "autorizada"),
            ],
        );
        let (st, v) = c.json(
            "POST",
            "/api/v1/desarrolladores/registro",
            Some(&analyst_token),
            &Value::Object(body),
        );
        assert_eq!(st, 201, "{v}");
    }
    let patron = Signer::demo(PATRON);
    let token = c.login(&patron, "patron");
    let body = c.sign(&patron, "GENERAR_CONTRASENA", None, &[]);
    let (st, g) = c.json(
        "POST",
        "/api/v1/contrasena-servicio",
        Some(&token),
        &Value::Object(body),
    );
    assert_eq!(st, 201, "{g}");
    let password = g["contrasena"].as_str().unwrap().to_string();
    let (_, terms) = c.json(
        "GET",
        "/api/v1/terminos/relaciones-de-confianza",
        None,
        &Value::Null,
    );
    let sha = terms["sha256"].as_str().unwrap().to_string();
    let (_, t) = c.json("GET", "/api/v1/relaciones", Some(&token), &Value::Null);
    let hoy = t["hoy"].as_str().unwrap().to_string();
    let fin = t["vigencias"]["opciones"][2]["fin_vigencia"]
        .as_str()
        .unwrap()
        .to_string();

    eprintln!("signing {logins} logins and {adds} additions...");
    let login_requests: Vec<_> = (0..logins)
        .map(|_| {
            let body = c.sign(&patron, "INICIO_SESION", None, &[("rol", "patron")]);
            (
                "/api/v1/sesiones".to_string(),
                None,
                serde_json::to_vec(&Value::Object(body)).unwrap(),
            )
        })
        .collect();
    let add_body = |dev: &str, password: &str| {
        let mut body = c.sign(
            &patron,
            "ADICIONAR_RELACION",
            Some(&sha),
            &[
                ("servicio", "Avisos"),
                ("rfc_desarrollador", dev),
                ("inicio_vigencia", &hoy),
                ("fin_vigencia", &fin),
            ],
        );
        body.insert("contrasena".into(), json!(password));
        serde_json::to_vec(&Value::Object(body)).unwrap()
    };
    // Refused after the e.firma check and the password check, before any write.
    let wrong_password_requests: Vec<_> = devs
        .iter()
        .map(|dev| {
            (
                "/api/v1/relaciones".to_string(),
                Some(token.clone()),
                add_body(dev, "AAAAA-BBBBB-CCCCC-DDDDD"),
            )
        })
        .collect();
    let add_requests: Vec<_> = devs
        .iter()
        .map(|dev| {
            (
                "/api/v1/relaciones".to_string(),
                Some(token.clone()),
                add_body(dev, &password),
            )
        })
        .collect();
    let rows = vec![
        drive(
            "POST /api/v1/sesiones (e.firma check only)",
            &c,
            connections,
            login_requests,
        ),
        drive(
            "POST /api/v1/relaciones, wrong password (403)",
            &c,
            connections,
            wrong_password_requests,
        ),
        drive(
            "POST /api/v1/relaciones (add relation)",
            &c,
            connections,
            add_requests,
        ),
    ];
    let reference = arg(args, "--reference").map(|v| v.parse::<f64>().unwrap());
    print_rows(&rows, connections, reference);
    if let Some(path) = arg(args, "--token-file") {
        std::fs::write(path, &token).unwrap();
    }
}

// ------------------------------------------------------------------------------------------

fn relations(n: usize, now: chrono::DateTime<chrono::Utc>) -> Vec<avisos_relations::Relation> {
    use avisos_relations::relation::{Cancellation, Relation};
    let today = avisos_relations::today(now);
    (0..n)
        .map(|i| Relation {
            no_caso: String::new(),
            patron_rfc: PATRON.into(),
            patron_nombre: "EMPRESA DEMOSTRACION SA DE CV".into(),
            desarrollador_rfc: developer_rfc(i),
            desarrollador_nombre: format!("DESARROLLOS DE NÓMINA NÚMERO {i}"),
            servicio: avisos_relations::Servicio::Avisos,
            inicio_vigencia: today,
            fin_vigencia: today + chrono::Days::new(1 + (i % 700) as u64),
            registrada: now,
            generacion_contrasena: 1,
            generacion_certificacion: Some(1),
            cancelacion: (i % 3 == 0).then(|| Cancellation {
                fecha: today,
                instante: now,
                folio: format!("{:010}", 900_000_000 + i),
            }),
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn export(args: &[String]) {
    use avisos_relations::relation::{Viewer, import, list};
    let sizes: Vec<usize> = arg(args, "--sizes")
        .unwrap_or_else(|| "1000,10000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let t = Instant::now();
    let runs = 5;
    for i in 0..runs {
        avisos_relations::password::hash_argon2id(
            "Abcde23456Abcde23456",
            [i as u8; 16],
            avisos_relations::password::ARGON2_PARAMS,
        )
        .unwrap();
    }
    let argon = t.elapsed() / runs;
    let key = avisos_acts::secret::HmacKey::new(avisos_e2e::TEST_PASSWORD_KEY);
    let t = Instant::now();
    let hmac_runs = 10_000;
    for i in 0..hmac_runs {
        avisos_relations::password::hash("Abcde23456Abcde23456", [i as u8; 16], &key).unwrap();
    }
    let hmac = t.elapsed() / hmac_runs;
    println!(
        "\nService password, native: HMAC-SHA-256 {:.1} µs per check; the Argon2id it replaced \
         (m = 19 MiB, t = 2, p = 1) {:.1} ms",
        hmac.as_secs_f64() * 1e6,
        argon.as_secs_f64() * 1000.0
    );
    println!(
        "\n{:<8} {:>10} {:>11} {:>10} {:>14} {:>13} {:>13} {:>9}",
        "rows",
        "list ms",
        "export ms",
        "xlsx KB",
        "host RSS +MB",
        "native ms",
        "native peak MB",
        "KB/row"
    );
    for n in sizes {
        // Over HTTP: the component on the in-process host (in-memory store).
        let app = TestApp::start(app_options().quiet());
        let token = login(&app, &Signer::demo(PATRON), "patron");
        let now = chrono::Utc::now();
        let kv = host_kv_of(&app);
        import(&kv, relations(n, now), now).expect("import");
        let mut list_times = Vec::new();
        let mut export_times = Vec::new();
        let mut size = 0;
        let mut rss_growth = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = get_with(&app, "/api/v1/relaciones", &token);
            list_times.push(t.elapsed());
            assert_eq!(r.status, 200);
            drop(r);
            let before = status_kb("VmRSS:");
            reset_peak_rss();
            let t = Instant::now();
            let r = get_with(&app, "/api/v1/relaciones/exportacion", &token);
            export_times.push(t.elapsed());
            assert_eq!(r.status, 200, "{}", r.text());
            rss_growth = rss_growth.max(status_kb("VmHWM:").saturating_sub(before));
            size = r.body.len();
        }
        drop(app);

        // Natively: the same code path, with the heap's peak.
        let mem = avisos_kv::MemoryKv::new();
        import(&mem, relations(n, now), now).expect("import");
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        let rows = list(&mem, PATRON, Viewer::Patron, now).unwrap();
        let bytes = avisos_relations::export::xlsx(&rows, now).unwrap();
        let native = t.elapsed();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        drop((rows, bytes));
        println!(
            "{:<8} {:>10.0} {:>11.0} {:>10} {:>14.1} {:>13.0} {:>13.1} {:>9.2}",
            n,
            median(list_times).as_secs_f64() * 1000.0,
            median(export_times).as_secs_f64() * 1000.0,
            size / 1024,
            rss_growth as f64 / 1024.0,
            native.as_secs_f64() * 1000.0,
            peak as f64 / 1_048_576.0,
            peak as f64 / 1024.0 / n as f64
        );
    }
}
