//! Issue 19's scale benchmark (run by `tests/bench/sincronizar.sh`): a payroll vendor keeps
//! `--patrones` employers × `--avisos` avisos in sync with `avisos-cliente` over HTTP, on the
//! in-process host (optimised build) with the store at `--redis`.
//!
//! 1. Seed (not measured), natively into the app's store: the developer certified (over HTTP),
//!    each employer's service password, relation and avisos (`publicacion::import`, the same
//!    merge and commit as a publication, so each employer's change sequence is written).
//! 2. **First sync**, measured: the client from no state: every aviso of every employer.
//! 3. `--cambios` percent of the avisos change (every employer gets its share: new
//!    `fecha_otorgamiento`), natively, not measured.
//! 4. **Second sync**, measured: the same client and state file: only the changes.
//!
//! Prints one row per sync: wall time, requests, changes received, employers up to date.

use std::ops::ControlFlow;
use std::time::Instant;

use avisos_cliente::api::{Credencial, Servicio};
use avisos_cliente::estado::Estado;
use avisos_cliente::patrones;
use avisos_cliente::salida::{Formato, Salida};
use avisos_cliente::sincronizar::{Opciones, sincronizar};
use avisos_e2e::bench::{self, arg};
use avisos_e2e::*;
use avisos_host::testing::{TestApp, TestKv, workspace_root};
use avisos_kv::KeyValueJson;
use serde_json::{Value, json};

#[path = "../tests/avisos_datos/mod.rs"]
mod avisos_datos;

const PASSWORD: &str = "Abcde23456Abcde23456";

/// A valid company RFC for employer `i` (distinct for every `i` below 100,000).
fn employer_rfc(i: usize) -> String {
    let day = i / 30;
    let (yy, mm, dd) = (20 + (day / 336) % 10, (day / 28) % 12 + 1, day % 28 + 1);
    let homoclave = format!("{}{}", ["A", "B", "C"][i % 3], (i / 3) % 10);
    bench::rfc(&format!("SYN{yy:02}{mm:02}{dd:02}{homoclave}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let redis = arg(&args, "--redis").expect("--redis redis://127.0.0.1:PORT/0");
    let n: usize = arg(&args, "--patrones").map_or(5000, |v| v.parse().unwrap());
    let per: u64 = arg(&args, "--avisos").map_or(200, |v| v.parse().unwrap());
    let percent: f64 = arg(&args, "--cambios").map_or(1.0, |v| v.parse().unwrap());

    let app = TestApp::start(app_options().quiet().kv(TestKv::Redis(redis)));
    let kv = host_kv_of(&app);
    let now = chrono::Utc::now();
    let hoy = service_today(&app);

    // 1. Seed.
    let t = Instant::now();
    certify(&app, DESARROLLADOR, "NOMINAS DEMOSTRACION SA DE CV");
    let key = avisos_acts::secret::HmacKey::new(TEST_PASSWORD_KEY);
    let hash = avisos_relations::password::hash(PASSWORD, [7; 16], &key).unwrap();
    let rfcs: Vec<String> = (0..n).map(employer_rfc).collect();
    assert_eq!(
        rfcs.iter().collect::<std::collections::BTreeSet<_>>().len(),
        n,
        "employer RFCs repeat"
    );
    let rows: Vec<Value> = (0..per)
        .map(|i| avisos_datos::row(i, hoy - chrono::Days::new(i % 60)))
        .collect();
    let mut relations = Vec::with_capacity(n);
    for rfc in &rfcs {
        let record = avisos_relations::password::PasswordRecord {
            rfc: rfc.clone(),
            estado: avisos_relations::password::PasswordState::Activa,
            generacion: 1,
            hash: Some(hash.clone()),
            generada: now,
            folio: "0000000001".into(),
            cancelada: None,
            folio_cancelacion: None,
        };
        kv.set_json(&format!("contrasena:{rfc}"), &record).unwrap();
        avisos_notices::publicacion::import(&kv, rfc, &rows, now).unwrap();
        relations.push(avisos_relations::Relation {
            no_caso: String::new(),
            patron_rfc: rfc.clone(),
            patron_nombre: format!("EMPRESA {rfc}"),
            desarrollador_rfc: DESARROLLADOR.into(),
            desarrollador_nombre: "NOMINAS DEMOSTRACION SA DE CV".into(),
            servicio: avisos_relations::Servicio::Avisos,
            inicio_vigencia: hoy,
            fin_vigencia: hoy + chrono::Days::new(365),
            registrada: now,
            generacion_contrasena: 1,
            generacion_certificacion: Some(1),
            cancelacion: None,
        });
    }
    avisos_relations::relation::import(&kv, relations, now).unwrap();
    eprintln!(
        "seeded {n} employers × {per} avisos in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The vendor's folder: the employers file, one password file (all share it here).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contrasena"), PASSWORD).unwrap();
    let lista: String = rfcs.iter().map(|r| format!("{r},contrasena\n")).collect();
    std::fs::write(dir.path().join("patrones.txt"), lista).unwrap();
    let patrones = patrones::leer(&dir.path().join("patrones.txt")).unwrap();
    let salida = Salida::new(&dir.path().join("avisos"), Formato::Jsonl).unwrap();
    let efirma = workspace_root()
        .join("static/demo/efirma")
        .join(DESARROLLADOR);
    let credencial = Credencial::abrir(
        &std::fs::read(efirma.join("certificado.cer")).unwrap(),
        &std::fs::read(efirma.join("clave.key")).unwrap(),
        b"demo12345",
    )
    .unwrap();
    let mut servicio = Servicio::new(&app.url(""), credencial);
    let estado_path = dir.path().join("estado.json");

    let mut sync = |label: &str| {
        let mut estado = Estado::cargar(&estado_path).unwrap();
        let t = Instant::now();
        let r = sincronizar(
            &mut servicio,
            &patrones,
            &salida,
            &mut estado,
            Opciones::default(),
            |_| ControlFlow::Continue(()),
        )
        .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(r.rechazados.is_empty(), "{:?}", &r.rechazados[..1]);
        println!(
            "| {label} | {secs:.1} s | {} | {} | {} | {:.0} |",
            r.solicitudes,
            r.cambios,
            r.al_dia,
            r.cambios as f64 / secs
        );
        r
    };
    println!(
        "\n| sync ({n} employers × {per} avisos, Redis) | wall time | requests | changes received | employers up to date | changes/s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let first = sync("first (from `inicio`)");
    assert_eq!(first.cambios, n as u64 * per);

    // 3. Change `percent` % of the avisos, spread over every employer.
    let every = (100.0 / percent).round().max(1.0) as u64;
    let changed: Vec<Value> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as u64).is_multiple_of(every))
        .map(|(_, r)| {
            let mut r = r.clone();
            r["fecha_otorgamiento"] = json!("2023-05-11");
            r
        })
        .collect();
    let t = Instant::now();
    for rfc in &rfcs {
        avisos_notices::publicacion::import(&kv, rfc, &changed, chrono::Utc::now()).unwrap();
    }
    eprintln!(
        "changed {} avisos per employer in {:.1} s",
        changed.len(),
        t.elapsed().as_secs_f64()
    );
    let second = sync(&format!("second (after {percent} % changed)"));
    assert_eq!(second.cambios, n as u64 * changed.len() as u64);
}
