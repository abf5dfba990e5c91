//! The request headers Spin adds for components.

use avisos_host::testing::TestRequest;

use crate::probe_app;

fn headers_of(app: &avisos_host::TestApp, req: TestRequest) -> serde_json::Value {
    let r = app.send(req);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn spin_headers_for_a_wildcard_route() {
    let app = probe_app();
    let h = headers_of(&app, TestRequest::get("/probe/headers?a=1&b=2"));
    let port = app.addr().port();
    assert_eq!(
        h["spin-full-url"],
        format!("http://127.0.0.1:{port}/probe/headers?a=1&b=2")
    );
    assert_eq!(h["spin-path-info"], "/headers");
    assert_eq!(h["spin-matched-route"], "/probe/...");
    assert_eq!(h["spin-raw-component-route"], "/probe/...");
    assert_eq!(h["spin-component-route"], "/probe");
    assert_eq!(h["spin-base-path"], "/");
    let client = h["spin-client-addr"].as_str().unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    // wasmtime-wasi-http (which Spin also uses) withholds `host`: components use spin-full-url.
    assert_eq!(h["host"], serde_json::Value::Null);
}

#[test]
fn named_segments_become_path_match_headers() {
    let app = probe_app();
    let h = headers_of(&app, TestRequest::get("/items/A-42/probe/headers"));
    assert_eq!(h["spin-path-match-id"], "A-42");
    assert_eq!(h["spin-matched-route"], "/items/:id/probe/...");
    assert_eq!(h["spin-component-route"], "/items/:id/probe");
    assert_eq!(h["spin-path-info"], "/headers");
}

/// A client's own `spin-*` values reach the component beside Spin's (the order is checked in
/// `server.rs`'s unit test: spin-sdk's `Request` keeps one value per name, the last, Spin's).
#[test]
fn a_component_sees_spins_value_last() {
    let app = probe_app();
    let h = headers_of(
        &app,
        TestRequest::get("/probe/headers")
            .header("spin-path-info", "/forged")
            .header("spin-client-addr", "6.6.6.6:1")
            .header("x-custom", "kept"),
    );
    assert_eq!(h["spin-path-info"], "/headers");
    assert_ne!(h["spin-client-addr"], "6.6.6.6:1");
    assert_eq!(h["x-custom"], "kept");
}
