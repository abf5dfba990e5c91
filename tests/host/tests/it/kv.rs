//! Key-value stores through the probe component.

use std::collections::HashSet;

use avisos_host::testing::{TestApp, TestKv, TestOptions, TestRequest, require_wasm};

use crate::{manifest, probe_app, probe_options};

#[test]
fn set_get_exists_keys_delete() {
    let app = probe_app();
    assert_eq!(app.get("/probe/kv/default/a").status, 404);
    assert_eq!(app.get("/probe/kv-exists/default/a").text(), "false");
    assert_eq!(app.put("/probe/kv/default/a", "uno").status, 204);
    assert_eq!(
        app.put("/probe/kv/default/b", vec![0u8, 255, 1]).status,
        204
    );
    let a = app.get("/probe/kv/default/a");
    assert_eq!((a.status, a.text().as_str()), (200, "uno"));
    assert_eq!(
        app.get("/probe/kv/default/b").body,
        [0u8, 255, 1],
        "binary values"
    );
    assert_eq!(app.get("/probe/kv-exists/default/a").text(), "true");
    let keys: Vec<String> = app.get("/probe/kv-keys/default").json();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(app.put("/probe/kv/default/a", "otro").status, 204);
    assert_eq!(app.get("/probe/kv/default/a").text(), "otro");
    assert_eq!(app.delete("/probe/kv/default/a").status, 204);
    assert_eq!(app.get("/probe/kv/default/a").status, 404);
    let keys: Vec<String> = app.get("/probe/kv-keys/default").json();
    assert_eq!(keys, ["b"]);
    // The same data through wasi:keyvalue/store.
    assert_eq!(app.get("/probe/wkv/default/b").body, [0u8, 255, 1]);
}

#[test]
fn undeclared_stores_are_refused() {
    let app = probe_app();
    // probe declares only "default".
    let r = app.get("/probe/kv/other/a");
    assert_eq!((r.status, r.text().as_str()), (403, "access-denied"));
    let r = app.get("/probe/wkv/other/a");
    assert_eq!((r.status, r.text().as_str()), (403, "access-denied"));
    // probe-bare declares none, not even "default".
    let r = app.put("/bare/probe/kv/default/a", "x");
    assert_eq!((r.status, r.text().as_str()), (403, "access-denied"));
    let r = app.send(TestRequest::post("/bare/probe/incr/default/n"));
    assert_eq!((r.status, r.text().as_str()), (403, "access-denied"));
}

#[test]
fn a_store_no_one_defines_stops_start_up() {
    require_wasm(&["probe"]);
    let e = TestApp::try_start(TestOptions::new(manifest("undeclared-store.toml")))
        .err()
        .expect("must not start");
    let msg = e.to_string();
    assert!(
        msg.contains("uses key-value store \"archive\", which is not defined"),
        "{msg}"
    );

    // Defined by a runtime config file, it works.
    let app = TestApp::start(
        TestOptions::new(manifest("undeclared-store.toml"))
            .runtime_config_file(manifest("two-stores.runtime-config.toml")),
    );
    assert_eq!(app.put("/probe/kv/archive/k", "v").status, 204);
    assert_eq!(app.get("/probe/kv/archive/k").text(), "v");
    assert_eq!(
        app.get("/probe/kv/default/k").status,
        404,
        "labels are separate stores"
    );
}

#[test]
fn increment_is_atomic_under_concurrency() {
    let app = probe_app();
    let responses = app.send_all((0..200).map(|_| TestRequest::post("/probe/incr/default/folio")));
    let values: Vec<i64> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text());
            r.text().parse().unwrap()
        })
        .collect();
    let distinct: HashSet<i64> = values.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        200,
        "every increment returned a distinct value"
    );
    assert_eq!(distinct, (1..=200).collect());
    let r = app.send(TestRequest::post("/probe/incr/default/folio?delta=-200"));
    assert_eq!(r.text(), "0");
    // Counters are 8 little-endian bytes, as Spin stores them.
    assert_eq!(app.get("/probe/kv/default/folio").body, 0i64.to_le_bytes());
}

#[test]
fn increment_of_a_non_counter_is_an_error() {
    let app = probe_app();
    app.put("/probe/kv/default/text", "abc");
    let r = app.send(TestRequest::post("/probe/incr/default/text"));
    assert_eq!(r.status, 500);
    assert!(r.text().contains("not a counter"), "{}", r.text());
}

/// A read-modify-write loop that trusts the swap's answer: sound on Spin's SQLite store once
/// the key exists (the memory store answers as SQLite does).
#[test]
fn compare_and_swap_under_concurrency() {
    let app = TestApp::start(probe_options().quiet());
    app.put("/probe/kv/default/counter", "0");
    let responses =
        app.send_all((0..60).map(|_| TestRequest::post("/probe/cas-incr/default/counter")));
    let mut values = HashSet::new();
    for r in &responses {
        assert_eq!(r.status, 200, "{}", r.text());
        let v: serde_json::Value = r.json();
        values.insert(v["value"].as_u64().unwrap());
    }
    assert_eq!(
        values,
        (1..=60).collect(),
        "each successful swap wrote a distinct value"
    );
    assert_eq!(app.get("/probe/kv/default/counter").text(), "60");
}

fn cas_conflict(app: &TestApp, key: &str) -> serde_json::Value {
    app.post(&format!("/probe/cas-conflict/default/{key}"), "")
        .json()
}

/// Spin's SQLite store (`crates/key-value-spin/src/store.rs`), as a component sees it.
#[test]
fn sqlite_answers_a_swap_as_spin_does() {
    let dir = tempfile::tempdir().unwrap();
    for app in [
        probe_app(),
        TestApp::start(probe_options().kv(TestKv::Sqlite(dir.path().to_owned()))),
    ] {
        // A value seen, then changed by another write: CasFailed, and the retry sees it.
        app.put("/probe/kv/default/nonce", "fresh");
        let r = cas_conflict(&app, "nonce");
        assert_eq!(r["seen"], "fresh");
        assert_eq!(r["first"], "cas-failed");
        assert_eq!(
            r["fresh_current"], "intruder",
            "the retry sees the winning value"
        );
        assert_eq!(r["second"], "swapped");
        assert_eq!(r["final"], "mine-after-retry");

        // No value seen: an upsert that overwrites the intruder and answers success.
        let r = cas_conflict(&app, "absent");
        assert_eq!(r["seen"], serde_json::Value::Null);
        assert_eq!(r["first"], "swapped");
        assert_eq!(r["final"], "mine");
    }
}

/// Spin 4.0.2's Redis store (`crates/key-value-redis/src/store.rs`), as a component sees it:
/// every swap answers CasFailed, the committed ones included.
#[test]
fn redis_answers_every_swap_cas_failed() {
    let server = avisos_host::testing::RedisServer::start();
    let app = TestApp::start(probe_options().kv(TestKv::Redis(server.url(0))));
    // Aborted by the intruder: CasFailed, and the intruder's value stays...
    app.put("/probe/kv/default/nonce", "fresh");
    let r = cas_conflict(&app, "nonce");
    assert_eq!(r["seen"], "fresh");
    assert_eq!(r["first"], "cas-failed");
    assert_eq!(r["fresh_current"], "intruder");
    // ...then committed on the fresh operation: CasFailed all the same.
    assert_eq!(r["second"], "cas-failed");
    assert_eq!(r["final"], "mine-after-retry");

    // Creation is watched too: the intruder wins, the retry commits, both answers are failures.
    let r = cas_conflict(&app, "absent");
    assert_eq!(r["seen"], serde_json::Value::Null);
    assert_eq!(r["first"], "cas-failed");
    assert_eq!(r["fresh_current"], "intruder");
    assert_eq!(r["second"], "cas-failed");
    assert_eq!(r["final"], "mine-after-retry");
}

#[test]
fn batch_operations() {
    let app = probe_app();
    let r = app.send(
        TestRequest::post("/probe/batch/default").json(&serde_json::json!({
            "set": {"x": "1", "y": "2", "z": "3"},
            "delete": ["y"],
            "get": ["x", "y", "z", "w"],
        })),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v: serde_json::Value = r.json();
    assert_eq!(v["got"], serde_json::json!({"x": "1", "z": "3"}));
    assert_eq!(v["keys"], serde_json::json!(["x", "z"]));
}

#[test]
fn sqlite_data_survives_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let mut app = TestApp::start(probe_options().kv(TestKv::Sqlite(state.path().to_owned())));
    assert_eq!(app.put("/probe/kv/default/persist", "sí").status, 204);
    app.send(TestRequest::post("/probe/incr/default/n?delta=5"));
    app.restart();
    assert_eq!(app.get("/probe/kv/default/persist").text(), "sí");
    assert_eq!(
        app.send(TestRequest::post("/probe/incr/default/n")).text(),
        "6"
    );
    drop(app);
    assert!(
        state.path().join("sqlite_key_value.db").is_file(),
        "Spin's file name"
    );

    // A fresh host on the same state directory sees the data too.
    let app = TestApp::start(probe_options().kv(TestKv::Sqlite(state.path().to_owned())));
    assert_eq!(app.get("/probe/kv/default/persist").text(), "sí");
}

#[test]
fn memory_data_survives_restart_but_not_a_new_app() {
    let mut app = probe_app();
    app.put("/probe/kv/default/k", "v");
    app.restart();
    assert_eq!(app.get("/probe/kv/default/k").text(), "v");
    drop(app);
    assert_eq!(probe_app().get("/probe/kv/default/k").status, 404);
}
