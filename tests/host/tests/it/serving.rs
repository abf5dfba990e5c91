//! Routing over HTTP, error responses and the test API itself.

use avisos_host::testing::{TestApp, TestOptions, TestRequest};

use crate::{manifest, probe_app};

#[test]
fn routes_requests_to_components() {
    let app = probe_app();
    let hello = app.get("/hello");
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "hola");
    assert_eq!(
        hello.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    let echo = app.send(TestRequest::post("/probe/echo?x=1").body("cuerpo"));
    assert_eq!(echo.status, 200);
    let v: serde_json::Value = echo.json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["body"], "cuerpo");
    assert_eq!(v["query"], "x=1");

    assert_eq!(app.get("/items/7/probe/echo").status, 200);
}

#[test]
fn unmatched_paths_are_bodiless_404s() {
    let app = probe_app();
    for path in ["/", "/nothing", "/hello/extra", "/items/7/other"] {
        let r = app.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.body.is_empty(), "{path}");
    }
}

#[test]
fn well_known_health() {
    let app = probe_app();
    let r = app.get("/.well-known/spin/health");
    assert_eq!((r.status, r.text().as_str()), (200, "OK"));
}

#[test]
fn a_trapping_component_gives_500_and_the_host_keeps_serving() {
    let app = probe_app();
    let r = app.get("/probe/trap");
    assert_eq!(r.status, 500);
    assert!(r.body.is_empty());
    assert_eq!(app.get("/hello").status, 200);
}

#[test]
fn instances_do_not_share_memory_and_requests_run_concurrently() {
    let app = probe_app();
    let responses =
        app.send_all((0..40).map(|i| TestRequest::post("/probe/echo").body(format!("{i}"))));
    for (i, r) in responses.iter().enumerate() {
        assert_eq!(r.status, 200);
        assert_eq!(r.json::<serde_json::Value>()["body"], i.to_string());
    }
}

#[test]
fn stop_and_restart_keep_the_address() {
    let mut app = probe_app();
    let addr = app.addr();
    app.stop();
    assert!(
        app.try_send(TestRequest::get("/hello")).is_err(),
        "stopped means stopped"
    );
    app.restart();
    assert_eq!(app.addr(), addr);
    assert_eq!(app.get("/hello").text(), "hola");
}

#[test]
fn hello_manifest_serves_everything() {
    let app = TestApp::start(TestOptions::new(manifest("hello.toml")));
    assert_eq!(app.get("/any/path?q=1").text(), "hola");
    assert_eq!(app.url("/x"), format!("http://{}/x", app.addr()));
}
