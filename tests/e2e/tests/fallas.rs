//! Faults (issue 9): a store that fails in the middle of an act, a Redis server stopped
//! mid-run, and a host killed with SIGKILL.
//!
//! - An act interrupted at ANY step by a store failure answers 503 `ALMACEN_NO_DISPONIBLE`
//!   (`{codigo, mensaje}`, `Retry-After`) and is either wholly recorded or not at all: a later
//!   attempt behaves as if the failed one never happened. The walk over every step uses the
//!   host's fault injection (`avisos_host::kv::Faults`) on the real components.
//! - Redis away (issue 15), as production on Spin 4.0.2 sees it: Spin's Redis client has no
//!   timeout and reconnects in the background, so a request that touches the store while the
//!   server is killed or frozen gets **no answer** (not a 503) until the server is back; then
//!   the held requests complete normally. The host's Redis backend is Spin's own client
//!   (`avisos_host::kv::RedisKv`); these tests only shorten the wait between reconnection
//!   attempts (`TestOptions::redis_max_reconnect_delay`) so they take seconds. Operators see
//!   the readiness probe fail instead (README, «Caídas del almacén»).
//! - Nothing acknowledged is lost across a Redis restart, orderly (SIGTERM) or not (SIGKILL),
//!   with acts in flight at that moment (append-only file, `appendfsync always`).
//! - A host killed with SIGKILL loses nothing it acknowledged (SQLite commits are durable; Redis
//!   with `appendfsync always`).

use avisos_e2e::*;
use avisos_host::TestClock;
use avisos_host::kv::Faults;
use avisos_host::testing::{
    HostProcess, InFlight, RedisServer, TestApp, TestKv, TestRequest, TestResponse,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TERMS: &str = "relaciones-de-confianza";

/// How long a test watches a request go unanswered while Redis is away.
const HOLD: Duration = Duration::from_secs(4);
/// The test apps' cap between reconnection attempts (Spin's: 60 s).
const RECONNECT: Duration = Duration::from_secs(2);
/// How long a held request may take to complete once Redis is back: the next reconnection
/// attempt (at most twice [`RECONNECT`]) plus the request's own work.
const RECOVERY: Duration = Duration::from_secs(30);

/// A test app on `server`, reconnecting within seconds.
fn on_redis(server: &RedisServer) -> TestApp {
    TestApp::start(
        app_options()
            .kv(TestKv::Redis(server.url(0)))
            .redis_max_reconnect_delay(RECONNECT),
    )
}

fn nonce_request() -> TestRequest {
    TestRequest::post("/api/v1/nonces").json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"}))
}

fn act_request(path: &str, act: &Act) -> TestRequest {
    TestRequest::post(path).json(&Value::Object(act.body.clone()))
}

/// Every request is still unanswered after [`HOLD`].
#[track_caller]
fn assert_held(pending: &[&InFlight]) {
    let until = Instant::now() + HOLD;
    for p in pending {
        let left = until.saturating_duration_since(Instant::now());
        if let Some(r) = p.wait(left) {
            panic!(
                "answered while Redis was away (Spin holds it): {} {}",
                r.status,
                r.text()
            );
        }
    }
}

/// The answer of a held request, once the store is back.
#[track_caller]
fn completed(p: &InFlight) -> TestResponse {
    p.wait(RECOVERY)
        .unwrap_or_else(|| panic!("still no answer {RECOVERY:?} after Redis came back"))
}

#[track_caller]
fn assert_unavailable(r: &TestResponse) {
    assert_error(r, 503, "ALMACEN_NO_DISPONIBLE");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
}

fn relations(app: &TestApp, token: &str) -> Vec<Value> {
    let r = get_with(app, "/api/v1/relaciones", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["relaciones"].as_array().unwrap().clone()
}

/// Walks a store failure over every step of an addition, then of a cancellation: each
/// interrupted attempt is invisible afterwards, and a later attempt succeeds as if it never
/// happened; or, when the store failed between the commit point and the read-back of its
/// outcome, the act is whole and a retry is told so. (A creation interrupted between its claim and its write blocks that key for at
/// most two minutes, see `avisos_kv::CheckedKv`: the clock moves on after each failure.)
#[test]
fn an_act_interrupted_at_any_step_is_all_or_nothing() {
    let faults = Faults::new();
    let clock = TestClock::new();
    let app = TestApp::start(app_options().faults(&faults).clock(&clock));
    let mut e = employer_with_certified_developer(&app);
    let developer = Signer::demo(DESARROLLADOR);
    let mut developer_token;

    let mut interrupted = 0;
    let no_caso = loop {
        clock.advance(std::time::Duration::from_secs(150));
        e.token = login(&app, &e.signer, "patron");
        developer_token = login(&app, &developer, "desarrollador");
        let act = add_relation_act(&app, &e, 6);
        faults.fail_after(interrupted);
        let r = send_act_as(&app, "/api/v1/relaciones", &act, &e.token);
        faults.heal();
        if r.status == 201 {
            break r.json::<Value>()["folio"].as_str().unwrap().to_string();
        }
        assert_unavailable(&r);
        // Not at all: nothing listed on either side, nothing live.
        assert_eq!(
            relations(&app, &e.token),
            Vec::<Value>::new(),
            "step {interrupted}"
        );
        assert_eq!(
            relations(&app, &developer_token),
            Vec::<Value>::new(),
            "step {interrupted}"
        );
        interrupted += 1;
        assert!(interrupted < 200, "the addition never completed");
    };
    assert!(interrupted > 5, "the walk covered only {interrupted} steps");
    // Wholly: listed on both sides, with its acuse.
    let listed = relations(&app, &e.token);
    assert_eq!(listed.len(), 1);
    assert_eq!(relations(&app, &developer_token).len(), 1);
    let acuse = get_with(&app, &format!("/api/v1/acuses/{no_caso}"), &e.token);
    assert_eq!(acuse.status, 200, "{}", acuse.text());

    let path = format!("/api/v1/relaciones/{no_caso}/cancelacion");
    let mut interrupted = 0;
    loop {
        clock.advance(std::time::Duration::from_secs(150));
        e.token = login(&app, &e.signer, "patron");
        let act = prepare(
            &app,
            &e.signer,
            "CANCELAR_RELACION",
            None,
            &[("no_caso", &no_caso)],
        );
        faults.fail_after(interrupted);
        let r = send_act_as(&app, &path, &act, &e.token);
        faults.heal();
        if r.status == 201 {
            break;
        }
        assert_unavailable(&r);
        let listed = relations(&app, &e.token);
        assert_eq!(listed.len(), 1);
        if listed[0]["estatus"] != "Relación Vigente" {
            // The store failed right after the commit point, before the outcome could be read
            // back (on Redis the swap's own answer says nothing): the 503 said the outcome was
            // unknown. It must be whole, and a retry is told it is done.
            let acuse = listed[0]["acuse_cancelacion"].as_str().expect("whole");
            assert_eq!(get_with(&app, acuse, &e.token).status, 200, "{}", listed[0]);
            assert_error(
                &cancel_relation(&app, &e, &no_caso),
                409,
                "RELACION_YA_CANCELADA",
            );
            break;
        }
        interrupted += 1;
        assert!(interrupted < 200, "the cancellation never completed");
    }
    let listed = relations(&app, &e.token);
    assert!(listed[0].to_string().contains("cancelada"), "{}", listed[0]);
}

fn live(listed: &[Value]) -> Vec<&Value> {
    listed
        .iter()
        .filter(|r| r["estatus"] == "Relación Vigente")
        .collect()
}

/// Issue 14: a store that carries out an operation and then loses its answer (the act gets
/// 503), walked over every step of an addition. The client retries with a new nonce: the retry
/// either makes the relation or is told it exists, and there is exactly one live relation,
/// listed on both sides, whatever step lost its answer.
#[test]
fn an_addition_whose_answer_was_lost_is_retried_without_a_second_relation() {
    let faults = Faults::new();
    let clock = TestClock::new();
    let app = TestApp::start(app_options().faults(&faults).clock(&clock));
    let mut e = employer_with_certified_developer(&app);
    let developer = Signer::demo(DESARROLLADOR);
    let mut step = 0;
    loop {
        clock.advance(std::time::Duration::from_secs(150));
        e.token = login(&app, &e.signer, "patron");
        let act = add_relation_act(&app, &e, 6);
        faults.lose_answer_after(step);
        let r = send_act_as(&app, "/api/v1/relaciones", &act, &e.token);
        faults.heal();
        if r.status == 201 {
            break;
        }
        assert_unavailable(&r);
        // The retry: a new nonce; "in progress" means the lost attempt's claim is still
        // fresh, so the client waits and tries again.
        let retried = loop {
            let act = add_relation_act(&app, &e, 6);
            let r = send_act_as(&app, "/api/v1/relaciones", &act, &e.token);
            if r.status == 409 && r.text().contains("Se está registrando") {
                clock.advance(std::time::Duration::from_secs(150));
                continue;
            }
            break r;
        };
        if retried.status != 201 {
            assert_error(&retried, 409, "RELACION_DUPLICADA");
        }
        let listed = relations(&app, &e.token);
        let vigentes = live(&listed);
        assert_eq!(vigentes.len(), 1, "step {step}: {listed:?}");
        let no_caso = vigentes[0]["no_caso"].as_str().unwrap().to_string();
        let developer_token = login(&app, &developer, "desarrollador");
        let theirs = relations(&app, &developer_token);
        assert_eq!(live(&theirs).len(), 1, "step {step}: {theirs:?}");
        assert_eq!(
            get_with(&app, &format!("/api/v1/acuses/{no_caso}"), &e.token).status,
            200,
            "step {step}: the relation has its acuse"
        );
        // Cancelled (with nothing lost) to start the next step from no live relation.
        let r = cancel_relation(&app, &e, &no_caso);
        assert_eq!(r.status, 201, "step {step}: {}", r.text());
        step += 1;
        assert!(step < 200, "the addition never completed");
    }
    assert!(step > 5, "the walk covered only {step} steps");
}

/// Issue 14: a password generation whose answer was lost never leaves a secret nobody is told
/// about: the retry's answer names the generation it replaced and says it was never used, and
/// the stored password is the one the retry showed.
#[test]
fn a_generation_whose_answer_was_lost_is_named_by_the_next() {
    let faults = Faults::new();
    let app = TestApp::start(app_options().faults(&faults));
    let e = employer(&app, PATRON);
    let mut step = 0;
    loop {
        let before: Value = get_with(&app, "/api/v1/contrasena-servicio", &e.token).json();
        let before = before["generacion"].as_u64().unwrap();
        let act = prepare(&app, &e.signer, "GENERAR_CONTRASENA", None, &[]);
        faults.lose_answer_after(step);
        let r = send_act_as(&app, "/api/v1/contrasena-servicio", &act, &e.token);
        faults.heal();
        if r.status == 201 {
            break;
        }
        assert_unavailable(&r);
        let retry = generate_password(&app, &e.signer, &e.token);
        let now: Value = get_with(&app, "/api/v1/contrasena-servicio", &e.token).json();
        let generacion = retry["generacion"].as_u64().unwrap();
        assert_eq!(now["generacion"].as_u64(), Some(generacion), "step {step}");
        assert_eq!(now["folio"], retry["folio"], "step {step}");
        match generacion - before {
            // The lost attempt changed nothing: the retry replaced the working password.
            1 => assert_eq!(retry["anterior"]["generacion"].as_u64(), Some(before)),
            // It did: the retry says so.
            2 => {
                assert_eq!(retry["anterior"]["generacion"].as_u64(), Some(before + 1));
                assert_eq!(retry["anterior"]["usada"], false, "step {step}: {retry}");
            }
            n => panic!("step {step}: {n} generations from one act and its retry"),
        }
        step += 1;
        assert!(step < 100, "the generation never completed");
    }
    assert!(step > 3, "the walk covered only {step} steps");
}

/// Logins and term acceptances interrupted at every step: a 503 never leaves a usable
/// session or an acceptance behind, and the client can always try again with a new nonce.
#[test]
fn interrupted_logins_leave_nothing_usable() {
    let faults = Faults::new();
    let app = TestApp::start(app_options().faults(&faults));
    let patron = Signer::demo(PATRON);
    let mut interrupted = 0;
    loop {
        let act = prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]);
        faults.fail_after(interrupted);
        let r = send_act(&app, "/api/v1/sesiones", &act);
        faults.heal();
        if r.status == 201 {
            let token = r.json::<Value>()["token"].as_str().unwrap().to_string();
            assert_eq!(
                get_with(&app, "/api/v1/sesiones/actual", &token).status,
                200
            );
            break;
        }
        assert_unavailable(&r);
        interrupted += 1;
        assert!(interrupted < 100, "the login never completed");
    }
    assert!(interrupted >= 2, "only {interrupted} steps");
}

/// Redis killed mid-run, as on Spin 4.0.2: every request that reaches the store gets no answer
/// while the server is away (the health check, a session read, a nonce, an act), none is
/// answered with a made-up error; when the server is back the held requests complete, each as
/// if nothing had happened, and the relation acknowledged before the crash is still there.
#[test]
fn a_killed_redis_holds_requests_until_it_returns_and_loses_nothing() {
    let mut server = RedisServer::durable();
    let app = on_redis(&server);
    let e = employer_with_certified_developer(&app);
    let first = send_act_as(
        &app,
        "/api/v1/relaciones",
        &add_relation_act(&app, &e, 6),
        &e.token,
    );
    assert_eq!(first.status, 201, "{}", first.text());
    let folio = first.json::<Value>()["folio"].as_str().unwrap().to_string();

    // An act prepared while the store is up, sent while it is down.
    let pending = prepare(&app, &e.signer, "ACEPTACION_TERMINOS", Some(TERMS), &[]);
    let path = format!("/api/v1/terminos/{TERMS}/aceptaciones");
    server.kill();
    let salud = app.send_in_background(TestRequest::get("/api/v1/salud"));
    let act = app.send_in_background(act_request(&path, &pending));
    let table = app.send_in_background(
        TestRequest::get("/api/v1/relaciones")
            .header("authorization", format!("Bearer {}", e.token)),
    );
    let nonce = app.send_in_background(nonce_request());
    assert_held(&[&salud, &act, &table, &nonce]);

    server.resume();
    let r = completed(&salud);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = completed(&act);
    assert_eq!(r.status, 201, "the held act completes: {}", r.text());
    let r = completed(&nonce);
    assert_eq!(r.status, 201, "{}", r.text());
    let r = completed(&table);
    assert_eq!(r.status, 200, "{}", r.text());
    // The acknowledged relation survived the server's crash.
    let listed = r.json::<Value>()["relaciones"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].to_string().contains(&folio), "{}", listed[0]);
    // And the app carries on.
    let r = send_act(
        &app,
        &path,
        &prepare(&app, &e.signer, "ACEPTACION_TERMINOS", Some(TERMS), &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Acknowledged acts survive a restart of Redis, orderly (SIGTERM) or a crash (SIGKILL), with
/// more acts in flight when it goes: every act answered 201, before or after the restart, has
/// its acuse afterwards. (An act the server never confirmed may be there or not; it was not
/// acknowledged.)
#[test]
fn nothing_acknowledged_is_lost_across_a_redis_restart() {
    for crash in [false, true] {
        let how = if crash { "SIGKILL" } else { "SIGTERM" };
        let mut server = RedisServer::durable();
        let app = on_redis(&server);
        let patron = Signer::demo(PATRON);
        let path = format!("/api/v1/terminos/{TERMS}/aceptaciones");
        let acts: Vec<Act> = (0..16)
            .map(|_| prepare(&app, &patron, "ACEPTACION_TERMINOS", Some(TERMS), &[]))
            .collect();
        let (before, during) = acts.split_at(8);
        let mut acknowledged: Vec<String> = before
            .iter()
            .map(|a| {
                let r = send_act(&app, &path, a);
                assert_eq!(r.status, 201, "{how}: {}", r.text());
                r.json::<Value>()["folio"].as_str().unwrap().to_string()
            })
            .collect();
        let in_flight: Vec<InFlight> = during
            .iter()
            .map(|a| app.send_in_background(act_request(&path, a)))
            .collect();
        if crash {
            server.kill();
        } else {
            server.terminate();
        }
        server.resume();
        let mut refused = 0;
        for p in &in_flight {
            let r = completed(p);
            match r.status {
                201 => acknowledged.push(r.json::<Value>()["folio"].as_str().unwrap().to_string()),
                // A command sent on the dead connection failed (Spin's client fails every
                // command sent before it sees the failure): not acknowledged.
                _ => {
                    assert_unavailable(&r);
                    refused += 1;
                }
            }
        }
        eprintln!(
            "{how}: {} acknowledged, {refused} refused",
            acknowledged.len()
        );
        let token = login(&app, &patron, "patron");
        for folio in &acknowledged {
            let r = get_with(&app, &format!("/api/v1/acuses/{folio}"), &token);
            assert_eq!(r.status, 200, "{how}: acuse {folio} lost: {}", r.text());
        }
    }
}

/// A host killed with SIGKILL right after acknowledging acts loses none of them.
#[test]
fn a_killed_host_loses_nothing_acknowledged() {
    let server = RedisServer::durable();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            server.url(0)
        ),
    )
    .unwrap();
    let variables = [
        ("modo", "demo".to_string()),
        ("confianza_efirma", "demo,sat-pruebas".to_string()),
        ("analistas", ANALISTA.to_string()),
        ("clave_sesion", TEST_SESSION_KEY.to_string()),
        ("clave_contrasena", TEST_PASSWORD_KEY.to_string()),
        ("llave_sello", test_seal_pem()),
        ("limites", TEST_LIMITS.to_string()),
    ];
    let base: Vec<String> = variables
        .iter()
        .flat_map(|(k, v)| ["--variable".to_string(), format!("{k}={v}")])
        .collect();
    for store in ["sqlite", "redis"] {
        let mut args = base.clone();
        match store {
            "sqlite" => args.extend([
                "--state-dir".into(),
                dir.path().join("state").display().to_string(),
            ]),
            _ => args.extend(["--runtime-config-file".into(), config.display().to_string()]),
        }
        let mut host = HostProcess::start(&args);
        let patron = Signer::demo(PATRON);
        let path = format!("/api/v1/terminos/{TERMS}/aceptaciones");
        let acts: Vec<Act> = (0..20)
            .map(|_| {
                prepare(
                    host.client(),
                    &patron,
                    "ACEPTACION_TERMINOS",
                    Some(TERMS),
                    &[],
                )
            })
            .collect();
        let folios: Vec<String> = host
            .client()
            .send_all(
                acts.iter()
                    .map(|a| TestRequest::post(&path).json(&Value::Object(a.body.clone()))),
            )
            .iter()
            .map(|r| {
                assert_eq!(r.status, 201, "{store}: {}", r.text());
                r.json::<Value>()["folio"].as_str().unwrap().to_string()
            })
            .collect();
        host.kill();
        host.respawn();
        let token = login(host.client(), &patron, "patron");
        for folio in &folios {
            let r = get_with(host.client(), &format!("/api/v1/acuses/{folio}"), &token);
            assert_eq!(r.status, 200, "{store}: acuse {folio} lost: {}", r.text());
        }
    }
}

/// A store that stops answering with its connections open (frozen, as an overloaded or
/// partitioned server is): as on Spin, requests wait with no limit (no 503 within seconds);
/// when it answers again they complete normally.
#[test]
fn a_frozen_redis_holds_requests_until_it_answers() {
    let server = RedisServer::start();
    let app = on_redis(&server);
    assert_eq!(app.get("/api/v1/salud").status, 200);
    server.freeze(true);
    let nonce = app.send_in_background(nonce_request());
    let salud = app.send_in_background(TestRequest::get("/api/v1/salud"));
    // Thawed even when the check fails, so the held requests end and the app can stop.
    let held = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_held(&[&nonce, &salud])
    }));
    server.freeze(false);
    if let Err(panic) = held {
        std::panic::resume_unwind(panic);
    }
    let r = completed(&nonce);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(completed(&salud).status, 200);
}

// ------------------------------------------------------------------------------------------
// Issue 15, item 6: every act whole or absent, walked with `avisos_e2e::walk` (the store put back
// before each attempt, what the API shows compared before/after, then the client's retry).

mod avisos_datos;

use avisos_e2e::walk::{self, Walk, normalize};

const NAME_DEV: &str = "NOMINAS DEMOSTRACION SA DE CV";

/// The sessions a walk over the certification workflow needs (logged in again after each
/// restore: the clock may have moved on).
struct Who {
    dev: String,
    analyst: String,
    patron: String,
}

fn who(app: &TestApp) -> Who {
    Who {
        dev: login(app, &Signer::demo(DESARROLLADOR), "desarrollador"),
        analyst: login(app, &Signer::demo(ANALISTA), "analista"),
        patron: login(app, &Signer::demo(PATRON), "patron"),
    }
}

fn body_of(r: &TestResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// Everything the API shows of the developer's certification and what it grants: its request,
/// every analyst tray, the stored workbook, the directory, its inbox, the employer's relations
/// table and a consultation of the employer's avisos with its service password.
fn certification_seen(app: &TestApp, w: &Who, password: &str) -> Value {
    let actual = get_with(app, "/api/v1/certificaciones/actual", &w.dev);
    let actual_body = body_of(&actual);
    let trays: Vec<Value> = [
        "en-espera",
        "en-analisis",
        "aprobado",
        "autorizada",
        "cancelada",
        "vencida",
    ]
    .iter()
    .map(|e| {
        let r = get_with(
            app,
            &format!("/api/v1/analistas/certificaciones?estatus={e}"),
            &w.analyst,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let rows = body_of(&r)["solicitudes"].clone();
        json!(
            rows.as_array()
                .unwrap()
                .iter()
                .map(|x| json!([x["folio"], x["estatus"]]))
                .collect::<Vec<_>>()
        )
    })
    .collect();
    let evidencia = actual_body["folio"].as_str().map(|f| {
        let r = get_with(
            app,
            &format!("/api/v1/analistas/certificaciones/{f}/evidencia"),
            &w.analyst,
        );
        json!([r.status, r.body.len()])
    });
    let directorio = body_of(&get_with(
        app,
        "/api/v1/desarrolladores?q=nominas",
        &w.patron,
    ))["resultados"]
        .clone();
    let inbox: Vec<Value> =
        body_of(&get_with(app, "/api/v1/notificaciones", &w.dev))["notificaciones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| json!([n["evento"], n["estado"], n["asunto"]]))
            .collect();
    let relaciones: Vec<Value> = relations(app, &w.patron)
        .iter()
        .map(|r| json!([r["estatus"], r["motivo"]["codigo"]]))
        .collect();
    let consulta = app.send(
        TestRequest::post("/api/v1/avisos/consultas")
            .header("authorization", format!("Bearer {}", w.dev))
            .json(&json!({"rfc_patron": PATRON, "contrasena": password})),
    );
    let consulta_body = body_of(&consulta);
    normalize(
        json!({
            "actual": [actual.status, actual_body],
            "bandejas": trays,
            "evidencia": evidencia,
            "directorio": directorio,
            "buzon": inbox,
            "relaciones": relaciones,
            "consulta": [consulta.status, consulta_body["codigo"], consulta_body["total"]],
        }),
        &[],
    )
}

fn dev_act(
    app: &TestApp,
    w: &Who,
    accion: &str,
    terms: &str,
    datos: &[(&str, &str)],
    path: &str,
    arm: &dyn Fn(),
) -> TestResponse {
    let act = prepare(
        app,
        &Signer::demo(DESARROLLADOR),
        accion,
        Some(terms),
        datos,
    );
    arm();
    send_act_as(app, path, &act, &w.dev)
}

fn upload_workbook(app: &TestApp, w: &Who, folio: &str, bytes: &[u8]) -> TestResponse {
    app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {}", w.dev))
            .header(
                "content-type",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(bytes.to_vec()),
    )
}

/// The workbook that passes the current round of `folio` (its seed read from the store, as
/// `certificacion.rs` does).
fn passing_workbook(app: &TestApp, folio: &str) -> Vec<u8> {
    use avisos_kv::KeyValue;
    let raw = host_kv_of(app)
        .get(&format!("certificacion:{folio}"))
        .unwrap()
        .expect("record");
    let record: Value = serde_json::from_slice(&raw).unwrap();
    let ronda = record["rondas"].as_array().unwrap().last().unwrap().clone();
    let id = avisos_evidence::TestSetId {
        semilla: ronda["semilla"].as_u64().unwrap(),
        folio: folio.to_string(),
        ronda: ronda["ronda"].as_u64().unwrap() as u32,
        fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
    };
    avisos_evidence::sample::workbook_xlsx(
        &avisos_evidence::generate(&id),
        &avisos_evidence::sample::SampleOptions::default(),
    )
}

fn publish_avisos(app: &TestApp, rows: &[Value], arm: &dyn Fn()) -> TestResponse {
    use sha2::Digest;
    let analyst = Signer::demo(ANALISTA);
    let token = login(app, &analyst, "analista");
    let raw = serde_json::to_string(rows).unwrap();
    let sha: String = sha2::Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let act = prepare(
        app,
        &analyst,
        "PUBLICAR_AVISOS",
        None,
        &[
            ("rfc_patron", PATRON),
            ("total_avisos", &rows.len().to_string()),
            ("avisos_sha256", &sha),
        ],
    );
    let mut s = serde_json::to_string(&Value::Object(act.body)).unwrap();
    s.pop();
    s.push_str(",\"avisos\":");
    s.push_str(&raw);
    s.push('}');
    arm();
    app.send(
        TestRequest::post("/api/v1/avisos/publicaciones")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(s.into_bytes()),
    )
}

/// Walks both faults over one act; returns the fault points covered.
fn walk_both<S>(
    w: &Walk<'_>,
    name: &str,
    sessions: impl Fn(&TestApp) -> S + Copy,
    act: impl Fn(&TestApp, &S, &dyn Fn()) -> TestResponse + Copy,
    observe: impl Fn(&TestApp, &S) -> Value + Copy,
    retry: impl Fn(&TestApp, &S) -> TestResponse + Copy,
) -> usize {
    let done = w.run(&walk::Fault::BOTH, sessions, act, observe, retry);
    assert!(
        done.points > 10,
        "{name}: only {} fault points",
        done.points
    );
    eprintln!(
        "{name}: {} fault points ({} after the commit point)",
        done.points, done.after_commit
    );
    done.points
}

/// Issue 15: request, evidence upload, dictamen, acceptance and cancellation of a
/// certification, each interrupted at every store operation: what the developer, the analysts
/// and the employer see (access included) is exactly as before or after, and the retry ends as
/// after. The defects this catches: a cancellation that left the developer authorised (and
/// answered 409 to its retry), an upload that dropped the request from every tray.
#[test]
fn every_certification_act_is_whole_or_absent() {
    let faults = Faults::new();
    let clock = midday_clock();
    let app = TestApp::start(app_options().faults(&faults).clock(&clock));
    let e = employer(&app, PATRON);
    let d = "2026-11-02".parse().unwrap();
    let rows: Vec<Value> = (1..=3).map(|i| avisos_datos::row(i, d)).collect();
    assert_eq!(publish_avisos(&app, &rows, &|| ()).status, 201);
    let w = Walk {
        app: &app,
        faults: &faults,
        clock: &clock,
    };
    let password = e.password.clone();
    let observe = |app: &TestApp, s: &Who| certification_seen(app, s, &password);
    let request = |app: &TestApp, s: &Who, arm: &dyn Fn()| {
        dev_act(
            app,
            s,
            "SOLICITAR_CERTIFICACION",
            "certificacion-solicitud",
            &[("razon_social", NAME_DEV), ("correo", "dev@example.com")],
            "/api/v1/certificaciones",
            arm,
        )
    };
    let mut total = walk_both(
        &w,
        "SOLICITAR_CERTIFICACION",
        who,
        request,
        observe,
        |app, s| request(app, s, &|| ()),
    );

    let folio = current_folio(&app);
    let workbook = passing_workbook(&app, &folio);
    let upload = |app: &TestApp, s: &Who, arm: &dyn Fn()| {
        arm();
        upload_workbook(app, s, &folio, &workbook)
    };
    total += walk_both(&w, "evidence upload", who, upload, observe, |app, s| {
        upload(app, s, &|| ())
    });

    let dictamen = |app: &TestApp, s: &Who, arm: &dyn Fn()| {
        let act = prepare(
            app,
            &Signer::demo(ANALISTA),
            "DICTAMINAR_CERTIFICACION",
            None,
            &[
                ("folio", &folio),
                ("resultado", "aprobar"),
                ("observaciones", ""),
            ],
        );
        arm();
        let path = format!("/api/v1/analistas/certificaciones/{folio}/dictamen");
        send_act_as(app, &path, &act, &s.analyst)
    };
    total += walk_both(
        &w,
        "DICTAMINAR_CERTIFICACION",
        who,
        dictamen,
        observe,
        |app, s| dictamen(app, s, &|| ()),
    );

    let folio_path = |what: &str| format!("/api/v1/certificaciones/{folio}/{what}");
    let accept = |app: &TestApp, s: &Who, arm: &dyn Fn()| {
        dev_act(
            app,
            s,
            "ACEPTAR_APROBACION",
            "certificacion-aprobacion",
            &[("folio", &folio)],
            &folio_path("aceptacion"),
            arm,
        )
    };
    total += walk_both(&w, "ACEPTAR_APROBACION", who, accept, observe, |app, s| {
        accept(app, s, &|| ())
    });

    // Certified by the workflow: the employer relates it, and it consults.
    let mut e = e;
    e.token = login(&app, &e.signer, "patron");
    let r = send_act_as(
        &app,
        "/api/v1/relaciones",
        &add_relation_act(&app, &e, 6),
        &e.token,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let cancel = |app: &TestApp, s: &Who, arm: &dyn Fn()| {
        dev_act(
            app,
            s,
            "CANCELAR_CERTIFICACION",
            "certificacion-cancelacion",
            &[("folio", &folio)],
            &folio_path("cancelacion"),
            arm,
        )
    };
    let s = who(&app);
    assert_eq!(observe(&app, &s)["consulta"][0], 200, "consults before");
    total += walk_both(
        &w,
        "CANCELAR_CERTIFICACION",
        who,
        cancel,
        observe,
        |app, s| cancel(app, s, &|| ()),
    );
    let seen = observe(&app, &who(&app));
    assert_eq!(seen["consulta"][0], 403, "{seen}");
    eprintln!("certification workflow: {total} fault points");
}

fn current_folio(app: &TestApp) -> String {
    let token = login(app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let r = get_with(app, "/api/v1/certificaciones/actual", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["folio"].as_str().unwrap().to_string()
}

/// The employer's side: a relation added and cancelled, the service password generated again
/// and cancelled, and the avisos published for it, each interrupted at every store operation.
#[test]
fn every_employer_and_publication_act_is_whole_or_absent() {
    let faults = Faults::new();
    let clock = midday_clock();
    let app = TestApp::start(app_options().faults(&faults).clock(&clock));
    let e = employer_with_certified_developer(&app);
    let w = Walk {
        app: &app,
        faults: &faults,
        clock: &clock,
    };
    let signer = Signer::demo(PATRON);
    let sessions = |app: &TestApp| Employer {
        signer: Signer::demo(PATRON),
        token: login(app, &signer, "patron"),
        password: e.password.clone(),
    };
    // The employer's table from both sides, its password's status, and a consultation.
    let observe = |app: &TestApp, s: &Employer| {
        let dev = login(app, &Signer::demo(DESARROLLADOR), "desarrollador");
        let mut status = body_of(&get_with(app, "/api/v1/contrasena-servicio", &s.token));
        // A check of the password that succeeded is a fact about the password (`usada`), not
        // part of the act that checked it.
        status["usada"] = Value::Null;
        let consulta = app.send(
            TestRequest::post("/api/v1/avisos/consultas")
                .header("authorization", format!("Bearer {dev}"))
                .json(&json!({"rfc_patron": PATRON, "contrasena": s.password})),
        );
        let avisos = body_of(&consulta);
        normalize(
            json!({
                "patron": relations(app, &s.token),
                "desarrollador": relations(app, &dev),
                "contrasena": status,
                "consulta": [consulta.status, avisos["codigo"], avisos["total"]],
                "avisos": avisos["avisos"].as_array().map(|a| a
                    .iter()
                    .map(|x| json!([x["folio_aviso"], x["valor_descuento"]]))
                    .collect::<Vec<_>>()),
            }),
            &[],
        )
    };
    let add = |app: &TestApp, s: &Employer, arm: &dyn Fn()| {
        let act = add_relation_act(app, s, 6);
        arm();
        send_act_as(app, "/api/v1/relaciones", &act, &s.token)
    };
    let mut total = walk_both(
        &w,
        "ADICIONAR_RELACION",
        sessions,
        add,
        observe,
        |app, s| add(app, s, &|| ()),
    );
    let d = "2026-11-02".parse().unwrap();
    let rows: Vec<Value> = (1..=3).map(|i| avisos_datos::row(i, d)).collect();
    let publish = |app: &TestApp, _: &Employer, arm: &dyn Fn()| publish_avisos(app, &rows, arm);
    // Published while the relation lets the developer consult them.
    total += walk_both(
        &w,
        "PUBLICAR_AVISOS",
        sessions,
        publish,
        observe,
        |app, s| publish(app, s, &|| ()),
    );
    let mut changed = avisos_datos::row(2, d);
    changed["valor_descuento"] = json!("30.0000");
    let more = vec![changed, avisos_datos::row(4, d)];
    let republish = |app: &TestApp, _: &Employer, arm: &dyn Fn()| publish_avisos(app, &more, arm);
    total += walk_both(
        &w,
        "PUBLICAR_AVISOS (replacing)",
        sessions,
        republish,
        observe,
        |app, s| republish(app, s, &|| ()),
    );

    let no_caso = relations(&app, &sessions(&app).token)[0]["no_caso"]
        .as_str()
        .unwrap()
        .to_string();
    let cancel = |app: &TestApp, s: &Employer, arm: &dyn Fn()| {
        let act = prepare(
            app,
            &s.signer,
            "CANCELAR_RELACION",
            None,
            &[("no_caso", &no_caso)],
        );
        arm();
        send_act_as(
            app,
            &format!("/api/v1/relaciones/{no_caso}/cancelacion"),
            &act,
            &s.token,
        )
    };
    total += walk_both(
        &w,
        "CANCELAR_RELACION",
        sessions,
        cancel,
        observe,
        |app, s| cancel(app, s, &|| ()),
    );

    // Generating again: a client that looks at the status before trying again (one whose
    // answer was lost is named by the next, see the test above).
    let generation = |app: &TestApp, s: &Employer| {
        body_of(&get_with(app, "/api/v1/contrasena-servicio", &s.token))["generacion"]
            .as_u64()
            .unwrap()
    };
    let target = generation(&app, &sessions(&app)) + 1;
    let generate = |app: &TestApp, s: &Employer, arm: &dyn Fn()| {
        let act = prepare(app, &s.signer, "GENERAR_CONTRASENA", None, &[]);
        arm();
        send_act_as(app, "/api/v1/contrasena-servicio", &act, &s.token)
    };
    // The consultation's password is the one in force before: compare without it.
    total += walk_both(
        &w,
        "GENERAR_CONTRASENA",
        sessions,
        generate,
        observe,
        |app, s| {
            if generation(app, s) < target {
                generate(app, s, &|| ())
            } else {
                get_with(app, "/api/v1/contrasena-servicio", &s.token)
            }
        },
    );
    let cancel_password = |app: &TestApp, s: &Employer, arm: &dyn Fn()| {
        let act = prepare(app, &s.signer, "CANCELAR_CONTRASENA", None, &[]);
        arm();
        send_act_as(
            app,
            "/api/v1/contrasena-servicio/cancelacion",
            &act,
            &s.token,
        )
    };
    total += walk_both(
        &w,
        "CANCELAR_CONTRASENA",
        sessions,
        cancel_password,
        observe,
        |app, s| cancel_password(app, s, &|| ()),
    );
    eprintln!("employer and publication acts: {total} fault points");
}
