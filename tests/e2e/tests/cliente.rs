//! Issue 19: the reference client `avisos-cliente` against the running app: a first sync, an
//! incremental sync, a refused employer, an interrupted run resumed from its state file, and
//! the CSV output.

mod avisos_datos;

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use avisos_cliente::api::{Credencial, Servicio};
use avisos_cliente::estado::Estado;
use avisos_cliente::patrones;
use avisos_cliente::salida::{Formato, Salida};
use avisos_cliente::sincronizar::{Opciones, Resumen, sincronizar};
use avisos_datos as datos;
use avisos_e2e::*;
use avisos_host::testing::{TestApp, workspace_root};
use serde_json::Value;

/// The demo developer's e.firma, opened as the client opens it.
fn servicio(app: &TestApp) -> Servicio {
    let dir = workspace_root()
        .join("static/demo/efirma")
        .join(DESARROLLADOR);
    let cer = std::fs::read(dir.join("certificado.cer")).unwrap();
    let key = std::fs::read(dir.join("clave.key")).unwrap();
    let credencial = Credencial::abrir(&cer, &key, b"demo12345").unwrap();
    Servicio::new(&app.url(""), credencial)
}

/// A working folder: the employers file (each password in its own file), outputs, state.
struct Carpeta(tempfile::TempDir);

impl Carpeta {
    fn new(patrones: &[(&str, &str)]) -> Carpeta {
        let dir = tempfile::tempdir().unwrap();
        let mut lista = String::from("# RFC,archivo de la contraseña del servicio\n");
        for (rfc, password) in patrones {
            let file = format!("{rfc}.contrasena");
            std::fs::write(dir.path().join(&file), format!("{password}\n")).unwrap();
            lista.push_str(&format!("{rfc},{file}\n"));
        }
        std::fs::write(dir.path().join("patrones.txt"), lista).unwrap();
        Carpeta(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn run(
        &self,
        app: &TestApp,
        formato: Formato,
        opciones: Opciones,
        stop_after: Option<usize>,
    ) -> Resumen {
        let patrones = patrones::leer(&self.path("patrones.txt")).unwrap();
        let salida = Salida::new(&self.path("avisos"), formato).unwrap();
        let mut estado = Estado::cargar(&self.path("estado.json")).unwrap();
        let mut requests = 0;
        sincronizar(
            &mut servicio(app),
            &patrones,
            &salida,
            &mut estado,
            opciones,
            |_| {
                requests += 1;
                match stop_after {
                    Some(n) if requests >= n => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                }
            },
        )
        .unwrap()
    }
}

/// The positions and folios in a JSON-lines output.
fn lines(path: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["posicion"].as_u64().unwrap(),
                v["aviso"]["folio_aviso"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn positions(path: &Path) -> Vec<u64> {
    lines(path).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn first_sync_then_only_what_changed_with_refused_employers_reported() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let other = employer(&app, PATRON_FISICA);
    relate_for_avisos(&app, &other);
    let hoy = service_today(&app);
    let rows = datos::spread(230, hoy, 90);
    assert_eq!(publish_avisos(&app, PATRON, &rows).status, 201);
    assert_eq!(publish_avisos(&app, PATRON_FISICA, &rows[..40]).status, 201);
    let dir = Carpeta::new(&[
        (PATRON, &e.password),
        (PATRON_FISICA, &other.password),
        // No relation with this one: refused for its reason, the others synced.
        (DESARROLLADOR_2, "no-es-la-contrasena"),
    ]);
    let opciones = Opciones {
        lote: 100,
        por_pagina: 100,
    };

    let r = dir.run(&app, Formato::Jsonl, opciones, None);
    assert_eq!((r.patrones, r.al_dia, r.cambios), (3, 2, 270));
    assert_eq!(r.rechazados.len(), 1);
    assert_eq!(r.rechazados[0].rfc, DESARROLLADOR_2);
    assert_eq!(r.rechazados[0].codigo, "RELACION_INEXISTENTE");
    assert_eq!(r.rechazados[0].estatus, 403);
    // 230 changes at 100 per request: 3 requests for the batch, plus the login's 3.
    assert_eq!(r.solicitudes, 6);
    let mine = dir.path(&format!("avisos/{PATRON}.jsonl"));
    assert_eq!(positions(&mine), (1..=230).collect::<Vec<_>>());
    let folios: BTreeSet<String> = lines(&mine).into_iter().map(|(_, f)| f).collect();
    assert_eq!(folios.len(), 230);
    assert_eq!(
        positions(&dir.path(&format!("avisos/{PATRON_FISICA}.jsonl"))).len(),
        40
    );

    // One aviso replaced and two new for the first employer, nothing for the second: the next
    // run fetches those three, in one request.
    let mut changed = rows[7].clone();
    changed["fecha_otorgamiento"] = serde_json::json!("2023-05-11");
    let fresh = vec![changed, datos::row(5000, hoy), datos::row(5001, hoy)];
    assert_eq!(publish_avisos(&app, PATRON, &fresh).status, 201);
    let r = dir.run(&app, Formato::Jsonl, opciones, None);
    assert_eq!((r.al_dia, r.cambios, r.rechazados.len()), (2, 3, 1));
    assert_eq!(r.solicitudes, 4);
    let got = lines(&mine);
    assert_eq!(got.len(), 233);
    let tail: Vec<&str> = got[230..].iter().map(|(_, f)| f.as_str()).collect();
    let folio = |v: &Value| v["folio_aviso"].as_str().unwrap().to_string();
    assert_eq!(tail, [folio(&fresh[0]), folio(&fresh[1]), folio(&fresh[2])]);
}

/// A run stopped after its second request (as if killed after saving), with a change written
/// after the save (as if killed between writing and saving): the next run drops that change,
/// fetches it again, and the output holds each change exactly once.
#[test]
fn an_interrupted_run_resumes_from_its_state_file() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let rows = datos::spread(300, service_today(&app), 60);
    assert_eq!(publish_avisos(&app, PATRON, &rows).status, 201);
    let dir = Carpeta::new(&[(PATRON, &e.password)]);
    let opciones = Opciones {
        lote: 1,
        por_pagina: 50,
    };
    let r = dir.run(&app, Formato::Jsonl, opciones, Some(2));
    assert!(r.interrumpido);
    assert_eq!(r.cambios, 100);
    let mine = dir.path(&format!("avisos/{PATRON}.jsonl"));
    // Killed half-way through writing the next answer: part of a line after the saved length.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&mine)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"posicion\":101,\"cambio\":\"nue").unwrap();
    drop(f);

    let r = dir.run(&app, Formato::Jsonl, opciones, None);
    assert!(!r.interrumpido);
    assert_eq!((r.al_dia, r.cambios), (1, 200));
    assert_eq!(positions(&mine), (1..=300).collect::<Vec<_>>());
}

#[test]
fn csv_output_has_a_header_and_one_row_per_change() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let rows = datos::spread(12, service_today(&app), 10);
    assert_eq!(publish_avisos(&app, PATRON, &rows).status, 201);
    let dir = Carpeta::new(&[(PATRON, &e.password)]);
    let r = dir.run(&app, Formato::Csv, Opciones::default(), None);
    assert_eq!((r.al_dia, r.cambios), (1, 12));
    let text = std::fs::read_to_string(dir.path(&format!("avisos/{PATRON}.csv"))).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("posicion,cambio,nrp,nss,rfc_trabajador"),
        "{header}"
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 12);
    assert!(body[0].starts_with("1,nuevo,"), "{}", body[0]);
    // Changes in the order the publication listed them; identifiers as text (leading zeros).
    let nss = rows[0]["nss"].as_str().unwrap();
    assert!(body[0].contains(&format!(",{nss},")), "{} / {nss}", body[0]);
}
