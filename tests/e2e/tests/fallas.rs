//! Faults (issue 9): a store that fails in the middle of an act, a Redis server stopped
//! mid-run, and a host killed with SIGKILL.
//!
//! - An act interrupted at ANY step by a store failure answers 503 `ALMACEN_NO_DISPONIBLE`
//!   (`{codigo, mensaje}`, `Retry-After`) and is either wholly recorded or not at all: a later
//!   attempt behaves as if the failed one never happened. The walk over every step uses the
//!   host's fault injection (`avisos_host::kv::Faults`) on the real components.
//! - Redis stopped mid-run: 503 with the same contract while it is down, service resumes by
//!   itself when it returns, and nothing acknowledged before is lost (AOF, `appendfsync
//!   always`). Redis frozen (SIGSTOP): 503 within the backend's deadline, not a hang.
//! - A host killed with SIGKILL loses nothing it acknowledged (SQLite commits are durable; Redis
//!   with `appendfsync always`).

use avisos_e2e::*;
use avisos_host::TestClock;
use avisos_host::kv::Faults;
use avisos_host::testing::{HostProcess, RedisServer, TestApp, TestKv, TestRequest, TestResponse};
use serde_json::{Value, json};

const TERMS: &str = "relaciones-de-confianza";

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

/// Redis stopped mid-run: 503 with the error contract while it is down, recovery by itself
/// when it returns, and every acknowledged act still there (append-only file).
#[test]
fn redis_stopped_mid_run_gives_503_then_recovers_without_loss() {
    let mut server = RedisServer::durable();
    let app = TestApp::start(app_options().kv(TestKv::Redis(server.url(0))));
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
    server.kill();
    let salud = app.get("/api/v1/salud");
    assert_ne!(salud.status, 200, "{}", salud.text());
    let path = format!("/api/v1/terminos/{TERMS}/aceptaciones");
    assert_unavailable(&send_act(&app, &path, &pending));
    assert_unavailable(&get_with(&app, "/api/v1/relaciones", &e.token));
    assert_unavailable(
        &app.send(
            TestRequest::post("/api/v1/nonces")
                .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
        ),
    );

    server.resume();
    assert_eq!(app.get("/api/v1/salud").status, 200);
    // Nothing of the refused act was recorded: its nonce is still good.
    let r = send_act(&app, &path, &pending);
    assert_eq!(r.status, 201, "{}", r.text());
    // The acknowledged relation survived the server's crash.
    let listed = relations(&app, &e.token);
    assert_eq!(listed.len(), 1);
    assert!(listed[0].to_string().contains(&folio), "{}", listed[0]);
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

/// A store that stops answering (frozen, connections left open) makes requests fail within the
/// backend's deadline with 503, not hang; service resumes when it answers again.
#[test]
fn a_stalled_redis_gives_503_within_seconds() {
    let server = RedisServer::start();
    let app = TestApp::start(app_options().kv(TestKv::Redis(server.url(0))));
    assert_eq!(app.get("/api/v1/salud").status, 200);
    server.freeze(true);
    let started = std::time::Instant::now();
    let r = app.send(
        TestRequest::post("/api/v1/nonces")
            .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
    );
    let waited = started.elapsed();
    server.freeze(false);
    assert_unavailable(&r);
    assert!(
        waited < std::time::Duration::from_secs(20),
        "took {waited:?}"
    );
    let r = app.send(
        TestRequest::post("/api/v1/nonces")
            .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}
