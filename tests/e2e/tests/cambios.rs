//! Issue 19 end to end: the incremental consultation (`cursor`) and the batch of consultations
//! of many employers, over HTTP against the real components, on the default store and (via
//! `tests/redis/e2e.sh`) on Redis.

mod avisos_datos;

use std::collections::BTreeSet;

use avisos_datos as datos;
use avisos_e2e::*;
use avisos_host::kv::Faults;
use avisos_host::testing::{TestApp, TestKv, TestRequest, TestResponse};
use serde_json::{Value, json};

const CONSULTAR: &str = "/api/v1/avisos/consultas";
const LOTE: &str = "/api/v1/avisos/consultas/lote";

fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> TestResponse {
    app.send(
        TestRequest::post(path)
            .header("authorization", format!("Bearer {token}"))
            .json(body),
    )
}

fn changes_after(app: &TestApp, token: &str, password: &str, cursor: &str, n: u64) -> Value {
    let body =
        json!({"rfc_patron": PATRON, "contrasena": password, "cursor": cursor, "por_pagina": n});
    let r = post(app, CONSULTAR, token, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Follows the cursor to the end: (every change's position and folio, the last cursor).
fn follow(
    app: &TestApp,
    token: &str,
    password: &str,
    cursor: &str,
) -> (Vec<(u64, String)>, String) {
    let mut cursor = cursor.to_string();
    let mut out = Vec::new();
    loop {
        let v = changes_after(app, token, password, &cursor, 100);
        for c in v["cambios"].as_array().unwrap() {
            out.push((
                c["posicion"].as_u64().unwrap(),
                c["aviso"]["folio_aviso"].as_str().unwrap().to_string(),
            ));
        }
        cursor = v["cursor"].as_str().unwrap().to_string();
        if v["pendientes"] == 0 {
            return (out, cursor);
        }
    }
}

/// The app on Spin's SQLite store (a file), whatever store the run's other tests use.
fn on_sqlite() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(app_options().kv(TestKv::Sqlite(dir.path().to_path_buf())));
    (app, dir)
}

#[test]
fn a_cursor_delivers_only_what_changed_and_is_audited() {
    cursor_delivers_only_what_changed(&start());
}

#[test]
fn a_cursor_delivers_only_what_changed_on_sqlite() {
    cursor_delivers_only_what_changed(&on_sqlite().0);
}

fn cursor_delivers_only_what_changed(app: &TestApp) {
    let e = employer_with_certified_developer(app);
    relate_for_avisos(app, &e);
    let rows = datos::spread(250, service_today(app), 100);
    assert_eq!(publish_avisos(app, PATRON, &rows).status, 201);
    let token = login(app, &Signer::demo(DESARROLLADOR), "desarrollador");

    // The first sync: every aviso once, as a change, whatever its date.
    let (first, cursor) = follow(app, &token, &e.password, "inicio");
    assert_eq!(
        first.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        (1..=250).collect::<Vec<_>>()
    );
    let folios: BTreeSet<&String> = first.iter().map(|(_, f)| f).collect();
    assert_eq!(folios.len(), 250);

    // 2 replaced, 3 new, 10 sent again unchanged: the next sync gets exactly the 5, in order.
    let mut next = rows[..10].to_vec();
    next[3]["fecha_otorgamiento"] = json!("2023-05-11");
    next[7]["fecha_otorgamiento"] = json!("2023-05-12");
    next.extend((1000..1003).map(|i| datos::row(i, service_today(app))));
    let r = publish_avisos(app, PATRON, &next);
    assert_eq!(r.status, 201, "{}", r.text());
    let v = changes_after(app, &token, &e.password, &cursor, 100);
    let kinds: Vec<(u64, &str, &str)> = v["cambios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["posicion"].as_u64().unwrap(),
                c["cambio"].as_str().unwrap(),
                c["aviso"]["folio_aviso"].as_str().unwrap(),
            )
        })
        .collect();
    let folio = |i: usize| next[i]["folio_aviso"].as_str().unwrap();
    assert_eq!(
        kinds,
        [
            (251, "reemplazado", folio(3)),
            (252, "reemplazado", folio(7)),
            (253, "nuevo", folio(10)),
            (254, "nuevo", folio(11)),
            (255, "nuevo", folio(12)),
        ]
    );
    assert_eq!(v["cambios"][0]["aviso"]["fecha_otorgamiento"], "2023-05-11");
    assert_eq!(v["pendientes"], 0);
    assert_eq!(v["filtros"]["cursor"], cursor.as_str());
    // Nothing new since: the same cursor back, nothing delivered.
    let last = v["cursor"].as_str().unwrap().to_string();
    let v = changes_after(app, &token, &e.password, &last, 100);
    assert_eq!(v["cambios"], json!([]));
    assert_eq!(v["cursor"], last.as_str());

    // The employer's audit shows each incremental consultation with its cursor.
    let audit: Value = get_with(app, "/api/v1/avisos/bitacora", &e.token).json();
    let newest = &audit["registros"][0];
    assert_eq!(newest["filtros"]["cursor"], last.as_str());
    assert_eq!(newest["resultado"], "CONSULTA_EXITOSA");
    assert_eq!(newest["avisos_devueltos"], 0);

    // Refusals, each with its code.
    let ask = |extra: Value| {
        let mut body = json!({"rfc_patron": PATRON, "contrasena": e.password});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        post(app, CONSULTAR, &token, &body)
    };
    assert_error(&ask(json!({"cursor": "ayer"})), 400, "CURSOR_INVALIDO");
    assert_error(
        &ask(json!({"cursor": last, "fecha_desde": "2026-01-01"})),
        400,
        "CURSOR_CON_FILTROS",
    );
    let (flujo, _) = last.split_once('.').unwrap();
    assert_error(
        &ask(json!({"cursor": format!("{flujo}.9999")})),
        400,
        "CURSOR_DESCONOCIDO",
    );
    assert_error(
        &ask(json!({"cursor": "0123456789abcdef.1"})),
        400,
        "CURSOR_DESCONOCIDO",
    );
    let wrong =
        json!({"rfc_patron": PATRON, "contrasena": "no-es-la-contrasena", "cursor": "inicio"});
    assert_error(
        &post(app, CONSULTAR, &token, &wrong),
        403,
        "CONTRASENA_INCORRECTA",
    );
}

/// A payroll system follows the cursor while the analyst publishes: every change arrives once,
/// in order, none skipped.
#[test]
fn a_cursor_followed_while_publishing_never_skips_or_repeats() {
    follow_while_publishing(&start());
}

#[test]
fn a_cursor_followed_while_publishing_on_sqlite_never_skips_or_repeats() {
    follow_while_publishing(&on_sqlite().0);
}

fn follow_while_publishing(app: &TestApp) {
    let e = employer_with_certified_developer(app);
    relate_for_avisos(app, &e);
    let token = login(app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let hoy = service_today(app);
    const ROUNDS: u64 = 8;
    const PER_ROUND: u64 = 60;
    let published = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|s| {
        s.spawn(|| {
            for round in 0..ROUNDS {
                let rows: Vec<Value> = (round * PER_ROUND..(round + 1) * PER_ROUND)
                    .map(|i| datos::row(i, hoy))
                    .collect();
                let r = publish_avisos(app, PATRON, &rows);
                assert_eq!(r.status, 201, "{}", r.text());
            }
            published.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut seen = Vec::new();
        let mut cursor = "inicio".to_string();
        loop {
            let done = published.load(std::sync::atomic::Ordering::SeqCst);
            let v = changes_after(app, &token, &e.password, &cursor, 7);
            for c in v["cambios"].as_array().unwrap() {
                seen.push(c["posicion"].as_u64().unwrap());
            }
            cursor = v["cursor"].as_str().unwrap().to_string();
            if done && v["pendientes"] == 0 {
                return seen;
            }
        }
    });
    assert_eq!(seen, (1..=ROUNDS * PER_ROUND).collect::<Vec<_>>());
}

fn batch(app: &TestApp, token: &str, consultas: Vec<Value>) -> Vec<Value> {
    let r = post(app, LOTE, token, &json!({ "consultas": consultas }));
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = r.json();
    v["resultados"].as_array().unwrap().clone()
}

fn outcome(r: &Value) -> (&str, u64, &str) {
    (
        r["rfc_patron"].as_str().unwrap(),
        r["estatus"].as_u64().unwrap(),
        r["error"]["codigo"].as_str().unwrap_or("OK"),
    )
}

#[test]
fn a_batch_answers_each_employer_on_its_own() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let other = employer(&app, PATRON_FISICA);
    relate_for_avisos(&app, &other);
    let hoy = service_today(&app);
    let rows: Vec<Value> = (0..30).map(|i| datos::row(i, hoy)).collect();
    assert_eq!(publish_avisos(&app, PATRON, &rows).status, 201);
    assert_eq!(publish_avisos(&app, PATRON_FISICA, &rows[..5]).status, 201);
    let token = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");

    let mine = |password: &str, cursor: &str| json!({"rfc_patron": PATRON, "contrasena": password, "cursor": cursor, "por_pagina": 20});
    let theirs = |password: &str| json!({"rfc_patron": PATRON_FISICA, "contrasena": password, "cursor": "inicio"});
    let r = batch(
        &app,
        &token,
        vec![
            mine(&e.password, "inicio"),
            theirs("no-es-la-contrasena"),
            mine(&e.password, "ayer"),
            json!({"rfc_patron": "sdn180301k23", "contrasena": "x", "cursor": "inicio"}),
            json!({"rfc_patron": PATRON_FISICA, "contrasena": other.password, "desconocido": 1}),
            theirs(&other.password),
        ],
    );
    let got: Vec<_> = r.iter().map(outcome).collect();
    assert_eq!(
        got,
        [
            (PATRON, 200, "OK"),
            (PATRON_FISICA, 403, "CONTRASENA_INCORRECTA"),
            (PATRON, 400, "CURSOR_INVALIDO"),
            ("SDN180301K23", 403, "RELACION_INEXISTENTE"),
            (PATRON_FISICA, 400, "JSON_INVALIDO"),
            (PATRON_FISICA, 200, "OK"),
        ]
    );
    assert_eq!(r[0]["respuesta"]["cambios"].as_array().unwrap().len(), 20);
    assert_eq!(r[0]["respuesta"]["pendientes"], 10);
    assert_eq!(r[5]["respuesta"]["cambios"].as_array().unwrap().len(), 5);
    // The next batch continues each employer from its own cursor.
    let cursor = r[0]["respuesta"]["cursor"].as_str().unwrap();
    let r = batch(&app, &token, vec![mine(&e.password, cursor)]);
    let positions: Vec<u64> = r[0]["respuesta"]["cambios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["posicion"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (21..=30).collect::<Vec<_>>());

    // Wrong passwords count toward that pair's lock (4 more make 5): the sixth is refused with
    // the wait, and the other employer is still answered in the same batch.
    let r = batch(
        &app,
        &token,
        vec![
            theirs("mala-1"),
            theirs("mala-2"),
            theirs("mala-3"),
            theirs("mala-4"),
            theirs(&other.password),
            mine(&e.password, "inicio"),
        ],
    );
    let got: Vec<_> = r.iter().map(outcome).collect();
    assert_eq!(got[4], (PATRON_FISICA, 429, "INTENTOS_EXCEDIDOS"));
    assert!(r[4]["error"]["reintentar_en"].as_u64().unwrap() >= 1);
    assert_eq!(got[5], (PATRON, 200, "OK"));

    // Refused whole only when it is not a batch.
    let r = post(&app, LOTE, &token, &json!({"consultas": []}));
    assert_error(&r, 400, "LOTE_VACIO");
    let many = vec![mine(&e.password, "inicio"); 101];
    let r = post(&app, LOTE, &token, &json!({ "consultas": many }));
    assert_error(&r, 400, "LOTE_DEMASIADO_GRANDE");
    // An employer's session cannot use it.
    let r = post(
        &app,
        LOTE,
        &e.token,
        &json!({"consultas": [mine(&e.password, "inicio")]}),
    );
    assert_error(&r, 403, "ROL_NO_PERMITIDO");
    // Without a session, or with a forged one: 401 before the body is read, nothing consulted
    // nor audited.
    let body = json!({"consultas": [mine(&e.password, "inicio")]});
    let r = app.send(TestRequest::post(LOTE).json(&body));
    assert_error(&r, 401, "SESION_REQUERIDA");
    let r = post(&app, LOTE, "no-es-un-token", &body);
    assert_eq!(r.status, 401, "{}", r.text());
    let audit = app.send(
        TestRequest::get("/api/v1/avisos/bitacora")
            .header("authorization", format!("Bearer {}", e.token)),
    );
    assert_eq!(audit.status, 200, "{}", audit.text());
    let consultas = audit.json::<Value>()["total"].clone();
    let r = app.send(TestRequest::post(LOTE).json(&body));
    assert_error(&r, 401, "SESION_REQUERIDA");
    let audit = app.send(
        TestRequest::get("/api/v1/avisos/bitacora")
            .header("authorization", format!("Bearer {}", e.token)),
    );
    assert_eq!(audit.json::<Value>()["total"], consultas);
}

/// A store that fails in the middle of a batch (at every one of its operations in turn): the
/// consultations before the failure keep their answers, the failing one and those after it
/// answer 503 inside `resultados` (the request itself is 200 once its consultations are reached,
/// 503 before), and the next batch is answered whole.
#[test]
fn a_store_failure_in_the_middle_of_a_batch_keeps_the_answers_before_it() {
    let faults = Faults::new();
    let app = TestApp::start(app_options().faults(&faults));
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let hoy = service_today(&app);
    let rows: Vec<Value> = (0..5).map(|i| datos::row(i, hoy)).collect();
    assert_eq!(publish_avisos(&app, PATRON, &rows).status, 201);
    let token = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let one = json!({"rfc_patron": PATRON, "contrasena": e.password, "cursor": "inicio"});
    let body = json!({ "consultas": [one.clone(), one.clone(), one] });
    let mut in_the_middle = 0;
    for step in 0.. {
        assert!(step < 500, "the batch never went through");
        faults.fail_after(step);
        let r = post(&app, LOTE, &token, &body);
        faults.heal();
        if r.status == 503 {
            assert_error(&r, 503, "ALMACEN_NO_DISPONIBLE");
            continue;
        }
        assert_eq!(r.status, 200, "step {step}: {}", r.text());
        let v: Value = r.json();
        let resultados = v["resultados"].as_array().unwrap();
        assert_eq!(resultados.len(), 3);
        let answered = resultados
            .iter()
            .take_while(|x| x["estatus"] == 200)
            .count();
        for x in &resultados[..answered] {
            assert_eq!(
                x["respuesta"]["cambios"].as_array().unwrap().len(),
                5,
                "{x}"
            );
        }
        for x in &resultados[answered..] {
            assert_eq!(x["estatus"], 503, "step {step}: {x}");
            assert_eq!(
                x["error"]["codigo"], "ALMACEN_NO_DISPONIBLE",
                "step {step}: {x}"
            );
        }
        if answered == 3 {
            break;
        }
        if answered > 0 {
            in_the_middle += 1;
        }
    }
    assert!(
        in_the_middle > 0,
        "no failure fell between two consultations"
    );
}

/// Each consultation of a batch counts toward the session's `consultas` limit: those past it
/// are refused one by one, the others answered.
#[test]
fn each_consultation_of_a_batch_counts_toward_the_limit() {
    let app = TestApp::start(app_options().variable(
        "limites",
        TEST_LIMITS.replace("consultas=100000/60", "consultas=3/60"),
    ));
    let e = employer_with_certified_developer(&app);
    relate_for_avisos(&app, &e);
    let token = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let one = json!({"rfc_patron": PATRON, "contrasena": e.password, "cursor": "inicio"});
    let r = batch(&app, &token, vec![one.clone(); 5]);
    let got: Vec<_> = r.iter().map(outcome).collect();
    assert_eq!(
        got,
        [
            (PATRON, 200, "OK"),
            (PATRON, 200, "OK"),
            (PATRON, 200, "OK"),
            (PATRON, 429, "LIMITE_EXCEDIDO"),
            (PATRON, 429, "LIMITE_EXCEDIDO"),
        ]
    );
    assert!(r[3]["error"]["reintentar_en"].as_u64().unwrap() >= 1);
    // The limit is used up: the next request is refused whole, before its body is read.
    let r = post(&app, LOTE, &token, &json!({"consultas": [one]}));
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
}

/// Batches sent at once: wrong passwords of one pair stay bounded by its lock however they
/// are spread over concurrent batches, and the other employer is served in every one of them.
#[test]
fn concurrent_batches_keep_the_lock_per_pair_and_serve_the_others() {
    concurrent_batches(&start());
}

#[test]
fn concurrent_batches_on_sqlite_keep_the_lock_per_pair() {
    concurrent_batches(&on_sqlite().0);
}

fn concurrent_batches(app: &TestApp) {
    let e = employer_with_certified_developer(app);
    relate_for_avisos(app, &e);
    let other = employer(app, PATRON_FISICA);
    relate_for_avisos(app, &other);
    let token = login(app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let wrong = json!({"rfc_patron": PATRON_FISICA, "contrasena": "no-es-la-contrasena", "cursor": "inicio"});
    let right = json!({"rfc_patron": PATRON, "contrasena": e.password, "cursor": "inicio"});
    let batches = (0..8).map(|_| {
        TestRequest::post(LOTE)
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"consultas": [wrong, wrong, wrong, right]}))
    });
    let mut codes: Vec<String> = Vec::new();
    for r in app.send_all(batches) {
        assert_eq!(r.status, 200, "{}", r.text());
        let v: Value = r.json();
        let results = v["resultados"].as_array().unwrap();
        assert_eq!(outcome(&results[3]), (PATRON, 200, "OK"));
        codes.extend(results[..3].iter().map(|r| outcome(r).2.to_string()));
    }
    let wrong_answers = codes
        .iter()
        .filter(|c| *c == "CONTRASENA_INCORRECTA")
        .count();
    // At least the lock's 5, at most the lock's 5 plus the 16 checks a pair may have in flight.
    assert!((5..=21).contains(&wrong_answers), "{codes:?}");
    assert!(
        codes.iter().all(|c| [
            "CONTRASENA_INCORRECTA",
            "INTENTOS_EXCEDIDOS",
            "VERIFICACIONES_SIMULTANEAS"
        ]
        .contains(&c.as_str())),
        "{codes:?}"
    );
    // The pair is locked now, even with the right password; the other pair is not.
    let r = batch(
        app,
        &token,
        vec![
            json!({"rfc_patron": PATRON_FISICA, "contrasena": other.password, "cursor": "inicio"}),
            right.clone(),
        ],
    );
    assert_eq!(outcome(&r[0]), (PATRON_FISICA, 429, "INTENTOS_EXCEDIDOS"));
    assert_eq!(outcome(&r[1]), (PATRON, 200, "OK"));
}
