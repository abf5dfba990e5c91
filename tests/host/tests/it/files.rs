//! `files` mounts, the component environment and the test clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use avisos_host::TestClock;
use avisos_host::testing::TestApp;

use crate::{probe_app, probe_options};

#[test]
fn mounted_files_are_readable_at_their_destinations() {
    let app = probe_app();
    let index = app.get("/probe/file/index.html");
    assert_eq!(index.status, 200);
    assert!(index.text().contains("<h1>hola</h1>"));
    assert_eq!(
        app.get("/probe/file/sub/data.json").text().trim(),
        r#"{"ok": true}"#
    );
    // A glob pattern mounts at its path relative to the manifest.
    assert_eq!(
        app.get("/probe/file/files/extra.txt").text().trim(),
        "extra file"
    );
}

#[test]
fn excluded_missing_and_outside_files_are_not_readable() {
    let app = probe_app();
    assert_eq!(
        app.get("/probe/file/key.secret").status,
        404,
        "exclude_files"
    );
    assert_eq!(app.get("/probe/file/nope.txt").status, 404);
    for escape in [
        "/probe/file/../../etc/passwd",
        "/probe/file/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let r = app.get(escape);
        assert_eq!(r.status, 404, "{escape}: {}", r.text());
        assert!(!r.text().contains("root:"), "{escape}");
    }
    // A component without `files` sees no filesystem at all.
    assert_eq!(app.get("/bare/probe/file/index.html").status, 404);
}

#[test]
fn environment_is_the_components() {
    let app = probe_app();
    assert_eq!(app.get("/probe/env/PROBE_MODE").text(), "test");
    assert_eq!(
        app.get("/probe/env/HOME").status,
        404,
        "the host environment is not inherited"
    );
    assert_eq!(app.get("/bare/probe/env/PROBE_MODE").status, 404);
}

fn component_now_ms(app: &TestApp) -> i64 {
    let v: serde_json::Value = app.get("/probe/time").json();
    v["unix_ms"].as_i64().unwrap()
}

fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn the_test_clock_moves_component_time() {
    let clock = TestClock::new();
    let app = TestApp::start(probe_options().clock(&clock));
    let slack = 5_000;
    assert!((component_now_ms(&app) - real_now_ms()).abs() < slack);

    clock.advance(Duration::from_secs(3 * 86_400));
    let ahead = component_now_ms(&app) - real_now_ms();
    assert!((ahead - 3 * 86_400_000).abs() < slack, "{ahead}");

    let target = UNIX_EPOCH + Duration::from_secs(1_735_689_600); // 2025-01-01T00:00:00Z
    clock.set_now(target);
    let seen = component_now_ms(&app);
    assert!((seen - 1_735_689_600_000).abs() < slack, "{seen}");

    // Without a clock, components see the real time.
    let plain = TestApp::start(probe_options());
    assert!((component_now_ms(&plain) - real_now_ms()).abs() < slack);
}
