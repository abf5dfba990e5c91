//! A bounded store (issue 15): what expires is removed (`avisos_kv::expiring`), so the number
//! of keys follows what is recorded, not logins, nonces or refusals; and a full Redis
//! (`maxmemory` with `noeviction`, as `deploy/` sets it) refuses writes with a clear 503 and
//! drops nothing.
//!
//! The tests on the in-memory store run on Redis too under `tests/redis/e2e.sh`
//! (`AVISOS_TEST_KV`); one runs on a SQLite file as `spin up` keeps it; the full-store test
//! starts its own `redis-server`.

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use avisos_e2e::*;
use avisos_host::clock::TestClock;
use avisos_host::kv::{Faults, KvBackend};
use avisos_host::testing::{RedisServer, TestApp, TestKv, TestRequest, workspace_root};
use serde_json::Value;

fn backend(app: &TestApp) -> std::sync::Arc<dyn KvBackend> {
    app.app()
        .and_then(|a| a.stores().get("default").cloned())
        .expect("the app has a default store")
}

/// Every key of the app's store (a test may list them; the app never does).
fn keys(app: &TestApp) -> Vec<String> {
    backend(app).get_keys("default").expect("keys")
}

fn logout(app: &TestApp, token: &str) {
    let r = app.send(
        TestRequest::delete("/api/v1/sesiones/actual")
            .header("authorization", format!("Bearer {token}")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// `n` deep health checks (`?profundo=1`): what an operator's monitor sends now and then, and
/// what sweeps when no request registers anything.
fn probe(app: &TestApp, n: usize) {
    for _ in 0..n {
        assert_eq!(app.get("/api/v1/salud?profundo=1").status, 200);
    }
}

const LOGINS: usize = 1_000;
/// Every tenth session is closed (its revocation must be kept while the session lives).
const LOGOUT_EVERY: usize = 10;
/// Keys that do not depend on how many logins there were: the sweep's front and per-minute
/// counters, the rate-limit windows of the last minutes, create-once claims.
const CONSTANT: usize = 40;

#[test]
fn a_thousand_logins_leave_no_more_keys_than_the_sessions_still_alive() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock).quiet());
    logins_leave_only_what_lives(&app, &clock, LOGINS);
}

/// The same on Spin's embedded store as `spin up` keeps it (a SQLite file: counters as 8 bytes,
/// keys starting with NUL), with fewer logins (every write is a durable commit there).
#[test]
fn logins_leave_only_what_lives_on_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let kv = TestKv::Sqlite(dir.path().to_path_buf());
    let app = TestApp::start(app_options().kv(kv).clock(&clock).quiet());
    logins_leave_only_what_lives(&app, &clock, 100);
}

fn logins_leave_only_what_lives(app: &TestApp, clock: &TestClock, logins: usize) {
    let signer = Signer::demo(PATRON);
    // What a store holds once per store (demo secrets, terms...), then nothing left to sweep.
    login(app, &signer, "patron");
    clock.advance(Duration::from_secs(30 * 60));
    probe(app, 5);
    let base = keys(app).len();

    let mut revoked = Vec::new();
    for i in 0..logins {
        let token = login(app, &signer, "patron");
        if i % LOGOUT_EVERY == 0 {
            logout(app, &token);
            revoked.push(token);
        }
    }
    let during = keys(app).len() - base;
    let per_login = during as f64 / logins as f64;
    eprintln!(
        "{logins} logins, {} logouts: +{during} keys ({per_login:.2} per login)",
        revoked.len()
    );
    // While the nonces live: each spent nonce's use counter and its sweep slot (its record goes
    // at first use), each logout's revocation and its slot.
    assert!(
        during <= 2 * logins + 2 * revoked.len() + CONSTANT,
        "{during} keys for {logins} logins"
    );

    // Ten minutes later the nonces are past their 5 minutes and the grace; every session still
    // lives (20 minutes). A few minutes of readiness probes sweep the spent nonces away.
    clock.advance(Duration::from_secs(10 * 60));
    probe(app, 60);
    let alive = keys(app).len() - base;
    eprintln!("10 minutes later: +{alive} keys, {logins} sessions alive");
    // The revocations of sessions still alive (and their slots) are what is left.
    assert!(
        alive <= 2 * revoked.len() + CONSTANT,
        "{alive} keys left while {logins} sessions (of which {} closed) live",
        revoked.len()
    );
    // ...and they still work.
    for token in revoked.iter().step_by(17) {
        let r = get_with(app, "/api/v1/sesiones/actual", token);
        assert_error(&r, 401, "SESION_CERRADA");
    }

    // Past the sessions' expiry nothing of the thousand logins is left.
    clock.advance(Duration::from_secs(20 * 60));
    probe(app, 20);
    let after = keys(app).len() - base;
    eprintln!("30 minutes later: +{after} keys, no session alive");
    assert!(after <= CONSTANT, "{after} keys left: {:?}", keys(app));
    let revocations = keys(app)
        .iter()
        .filter(|k| k.starts_with("sesion:revocada:"))
        .count();
    assert_eq!(revocations, 0);
    for token in revoked.iter().take(3) {
        let r = get_with(app, "/api/v1/sesiones/actual", token);
        assert_error(&r, 401, "SESION_EXPIRADA");
    }
}

/// Junk sent in someone's name from many client addresses (the subjects of per-client and per
/// (RFC, client) windows are chosen by whoever sends it) leaves nothing once the windows pass.
#[test]
fn refused_requests_from_many_clients_leave_no_windows_behind() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock).quiet());
    probe(&app, 1);
    let base = keys(&app).len();
    let act = prepare(
        &app,
        &Signer::demo(PATRON),
        "INICIO_SESION",
        None,
        &[("rol", "patron")],
    );
    let mut junk = act.body.clone();
    junk.insert("firma".into(), Value::String("AAAA".into()));
    let junk = Value::Object(junk);
    for i in 0..200u8 {
        let from = std::net::Ipv4Addr::new(127, 0, 1, i.max(1));
        let r = app.send(
            TestRequest::post("/api/v1/sesiones")
                .json(&junk)
                .from_address(from),
        );
        assert!(r.status >= 400, "{}", r.text());
        let r = app.send(
            TestRequest::post("/api/v1/nonces")
                .json(&serde_json::json!({"rfc": PATRON, "accion": "INICIO_SESION"}))
                .from_address(from),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let during = keys(&app).len() - base;
    eprintln!("200 clients: +{during} keys");
    assert!(during >= 200, "each client has its windows while they last");
    clock.advance(Duration::from_secs(10 * 60));
    probe(&app, 60);
    let after = keys(&app).len() - base;
    eprintln!("10 minutes later: +{after} keys");
    assert!(after <= CONSTANT, "{after} keys left: {:?}", keys(&app));
}

/// How many store operations a login costs (nonce + login): when nothing is due, and when the
/// previous logins' nonces are (each registration then sweeps up to four due slots). The
/// numbers go to the notes and BENCHMARKS.md.
#[test]
fn store_operations_per_login() {
    let clock = TestClock::new();
    let faults = Faults::new();
    let app = TestApp::start(app_options().clock(&clock).faults(&faults).quiet());
    let signer = Signer::demo(PATRON);
    login(&app, &signer, "patron");
    // The signed fecha from the test clock (not `server_now`: no request but the login's).
    let fecha = || {
        let now: chrono::DateTime<chrono::Utc> = clock.now().into();
        now.with_timezone(&chrono::FixedOffset::west_opt(6 * 3600).unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    };
    let measure = |app: &TestApp| {
        let fecha = fecha();
        faults.heal();
        let n = nonce(app, &signer.rfc, "INICIO_SESION");
        let issue = faults.operations();
        let datos = [("rol", "patron")];
        let (body, _) = signed_body(&signer, "INICIO_SESION", &n, &fecha, None, &datos);
        faults.heal();
        let r = app.send(TestRequest::post("/api/v1/sesiones").json(&Value::Object(body)));
        assert_eq!(r.status, 201, "{}", r.text());
        (issue, faults.operations())
    };
    let quiet: Vec<(i64, i64)> = (0..20).map(|_| measure(&app)).collect();
    // Eight minutes later the earlier nonces are due: the next registrations sweep them.
    clock.advance(Duration::from_secs(8 * 60));
    let due: Vec<(i64, i64)> = (0..8).map(|_| measure(&app)).collect();
    eprintln!("store operations (nonce, login): nothing due {quiet:?}; due {due:?}");
    // Nothing due, no new window: nonce = 2 window counters + registration (2) + the sweep's
    // front (1) + the record (1); login = client window, refusals check, the kept e.firma chain
    // (avisos_acts::chains), record, use counter, record deleted, RFC window.
    let typical = quiet.iter().min().copied().unwrap_or_default();
    assert_eq!(typical, (6, 7), "{quiet:?}");
    // A registration (2) and its sweep: the front (1), at most 32 minutes read, an increment
    // and a deletion per minute with due slots (at most 4 of them), 4 slots of at most 4
    // operations, the front written (1). A request registers up to three times (two new
    // windows and the nonce, or two windows and the use counter's...), plus its own 6.
    let bound = 3 * (2 + 1 + 32 + 2 * 4 + 4 * 4 + 1) + 7;
    assert!(
        due.iter()
            .all(|(issue, login)| *issue <= bound && *login <= bound),
        "{due:?}"
    );
}

/// `redis-cli` without redis-cli: one command over RESP, the reply as text.
fn redis_command(port: u16, args: &[&str]) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("redis");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut cmd = format!("*{}\r\n", args.len());
    for a in args {
        cmd.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(cmd.as_bytes()).unwrap();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    if let Some(len) = line.strip_prefix('$') {
        let len: usize = len.trim().parse().unwrap_or(0);
        let mut body = vec![0; len + 2];
        reader.read_exact(&mut body).unwrap();
        return String::from_utf8_lossy(&body[..len]).into_owned();
    }
    line.trim().to_string()
}

fn used_memory(port: u16) -> u64 {
    redis_command(port, &["INFO", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

/// Redis at its `maxmemory` with `noeviction`: the app's own traffic fills it; then writes are
/// refused with 503 `ALMACEN_LLENO` (JSON), a signed act too, and every key stored before is
/// still there with its value. Raising the limit, the refused act goes through.
#[test]
fn a_full_redis_refuses_writes_with_503_and_drops_nothing() {
    let server = RedisServer::start();
    let port = server.port();
    assert_eq!(
        redis_command(port, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]),
        "+OK"
    );
    let app = TestApp::start(app_options().kv(TestKv::Redis(server.url(0))).quiet());
    let e = employer_with_certified_developer(&app);
    let added = send_act_as(
        &app,
        "/api/v1/relaciones",
        &add_relation_act(&app, &e, 3),
        &e.token,
    );
    assert_eq!(added.status, 201, "{}", added.text());
    let no_caso = added.json::<Value>()["relacion"]["no_caso"]
        .as_str()
        .expect("no_caso")
        .to_string();
    // An act signed before the store fills, sent after.
    let cancel = prepare(
        &app,
        &e.signer,
        "CANCELAR_RELACION",
        None,
        &[("no_caso", &no_caso)],
    );
    let store = backend(&app);
    let before: Vec<(String, Vec<u8>)> = store
        .get_keys("default")
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = store.get("default", &k).unwrap().expect("listed");
            (k, v)
        })
        .collect();

    let limit = used_memory(port) + 256 * 1024;
    assert_eq!(
        redis_command(port, &["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        "+OK"
    );
    let mut served = 0;
    let refusal = loop {
        let r = app.send(
            TestRequest::post("/api/v1/nonces")
                .json(&serde_json::json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
        );
        if r.status != 201 {
            break r;
        }
        served += 1;
        assert!(served < 20_000, "256 KiB never filled");
    };
    eprintln!(
        "{served} nonces filled 256 KiB; then {} {}",
        refusal.status,
        refusal.text()
    );
    assert_error(&refusal, 503, "ALMACEN_LLENO");
    assert!(refusal.header("retry-after").is_some());
    let path = format!("/api/v1/relaciones/{no_caso}/cancelacion");
    let act = send_act_as(&app, &path, &cancel, &e.token);
    assert_error(&act, 503, "ALMACEN_LLENO");

    // Nothing was evicted: every key stored before is there; records kept their values (the
    // counters moved: every request counts in its windows before being refused).
    for (k, v) in &before {
        let now = store.get("default", k).unwrap();
        assert!(now.is_some(), "{k:?} was dropped");
        let counter = !v.is_empty() && v.iter().all(u8::is_ascii_digit);
        if !counter {
            assert_eq!(now.as_deref(), Some(&v[..]), "{k:?} changed");
        }
    }

    // The operator raises the limit: the same act, retried as is, goes through.
    assert_eq!(
        redis_command(port, &["CONFIG", "SET", "maxmemory", "0"]),
        "+OK"
    );
    let act = send_act_as(&app, &path, &cancel, &e.token);
    assert_eq!(act.status, 201, "{}", act.text());
}

/// The production Redis is capped with `noeviction` (and keeps its append-only file): a full
/// store refuses writes instead of evicting acts, and the pod's memory limit leaves room
/// above the cap.
#[test]
fn the_deployed_redis_has_a_memory_cap_without_eviction() {
    let text = std::fs::read_to_string(workspace_root().join("deploy/spinkube/redis.yaml"))
        .expect("redis.yaml");
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .collect();
    let container = docs
        .iter()
        .filter(|d| d["kind"] == "StatefulSet")
        .flat_map(|d| {
            d["spec"]["template"]["spec"]["containers"]
                .as_sequence()
                .cloned()
                .unwrap_or_default()
        })
        .find(|c| c["name"] == "redis")
        .expect("the redis container");
    let command: String = container["args"]
        .as_sequence()
        .into_iter()
        .flatten()
        .chain(container["command"].as_sequence().into_iter().flatten())
        .filter_map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let arg = |name: &str| {
        let mut words = command.split_whitespace();
        words.find(|w| *w == name)?;
        words.next().map(str::to_owned)
    };
    assert_eq!(
        arg("--maxmemory-policy").as_deref(),
        Some("noeviction"),
        "{command}"
    );
    assert_eq!(arg("--appendonly").as_deref(), Some("yes"), "{command}");
    let cap = arg("--maxmemory").expect("--maxmemory");
    let bytes = |s: &str| -> u64 {
        let s = s.to_ascii_lowercase();
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: u64 = n.parse().expect("a number");
        n * match unit {
            "" | "b" => 1,
            "kb" | "k" => 1 << 10,
            "mb" | "m" => 1 << 20,
            "gb" | "g" => 1 << 30,
            "ki" => 1 << 10,
            "mi" => 1 << 20,
            "gi" => 1 << 30,
            other => panic!("unit {other}"),
        }
    };
    let limit = container["resources"]["limits"]["memory"]
        .as_str()
        .expect("a memory limit for the redis container");
    assert!(
        bytes(limit) >= bytes(&cap) + bytes(&cap) / 4,
        "the pod's limit ({limit}) leaves room above maxmemory ({cap})"
    );
}
