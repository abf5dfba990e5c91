//! Issue 2 end to end: the real components (wasm32-wasip2) on the in-repo host, over HTTP.

use std::collections::{BTreeMap, BTreeSet};

use avisos_e2e::{app_options, assert_error, start};
use avisos_host::routes::Router;
use avisos_host::testing::{TestApp, TestKv, TestRequest, workspace_root};
use serde_json::Value;

#[test]
fn salud_reports_version_store_and_time() {
    let app = TestApp::start(app_options().variable("app_version", "9.9.9"));
    let r = app.get("/api/v1/salud");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v: Value = r.json();
    assert_eq!(v["estado"], "ok");
    assert_eq!(v["version"], "9.9.9");
    assert_eq!(v["almacen"]["disponible"], true);
    assert!(v["hora"].as_str().unwrap().ends_with("-06:00"), "{v}");
    let utc = chrono::DateTime::parse_from_rfc3339(v["hora_utc"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - utc.to_utc()).num_seconds().abs() < 60);
    assert_eq!(v["configuracion"]["modo"], "demo");
    assert_eq!(v["configuracion"]["valida"], true);
    assert_eq!(v["configuracion"]["problemas"], serde_json::json!([]));
    // The probe really went through the store: it is there after the request.
    assert_error(&app.post("/api/v1/salud", ""), 405, "METODO_NO_PERMITIDO");
}

#[test]
fn concurrent_salud_checks_do_not_read_each_others_probe() {
    let app = start();
    let responses = app.send_all((0..64).map(|_| TestRequest::get("/api/v1/salud")));
    for r in responses {
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

#[test]
fn salud_uses_the_persistent_store_across_restarts() {
    let dir = std::env::temp_dir().join(format!("avisos-e2e-salud-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut app = TestApp::start(app_options().kv(TestKv::Sqlite(dir.clone())));
    assert_eq!(app.get("/api/v1/salud").status, 200);
    app.restart();
    assert_eq!(app.get("/api/v1/salud").status, 200);
    assert!(dir.join("sqlite_key_value.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn static_page_types_index_and_traversal() {
    let app = start();
    let index = app.get("/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.text().contains("Servicios de Intercomunicación"));
    assert_eq!(app.get("/index.html").body, index.body);
    assert_eq!(
        app.get("/estilos.css").header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        app.get("/js/portal.js").header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let spec = app.get("/openapi.yaml");
    assert_eq!(spec.status, 200);
    assert_eq!(
        spec.header("content-type"),
        Some("application/yaml; charset=utf-8")
    );
    assert_eq!(
        spec.body,
        std::fs::read(workspace_root().join("openapi.yaml")).unwrap()
    );
    assert_eq!(
        app.get("/demo/ac-demo.cer").header("content-type"),
        Some("application/pkix-cert")
    );
    assert_eq!(
        app.get("/index.html").header("x-content-type-options"),
        Some("nosniff")
    );
    assert_error(&app.get("/no-existe.html"), 404, "RECURSO_NO_ENCONTRADO");
    for path in [
        "/%2e%2e/Cargo.toml",
        "/demo/..%2f..%2fCargo.toml",
        "/a%5c..%5cspin.toml",
    ] {
        assert_error(&app.get(path), 400, "RUTA_INVALIDA");
    }
    assert_error(&app.get("/.gitignore"), 404, "RECURSO_NO_ENCONTRADO");
    assert_error(&app.post("/index.html", "x"), 405, "METODO_NO_PERMITIDO");
}

#[test]
fn unknown_api_routes_fall_to_the_static_server_and_404() {
    let app = start();
    assert_error(&app.get("/api/v1/no-existe"), 404, "RECURSO_NO_ENCONTRADO");
}

fn manifest() -> toml::Value {
    toml::from_str(&std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap()).unwrap()
}

fn openapi() -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(workspace_root().join("openapi.yaml")).unwrap())
        .unwrap()
}

/// Every spin.toml route is documented in openapi.yaml and every documented path is served by
/// the route it names, under Spin's own matching rules.
#[test]
fn openapi_and_spin_toml_describe_the_same_routes() {
    let m = manifest();
    let triggers = m["trigger"]["http"].as_array().unwrap();
    let routes: Vec<(String, String)> = triggers
        .iter()
        .map(|t| {
            (
                t["route"].as_str().unwrap().to_string(),
                t["component"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let router = Router::build(routes.iter().map(|(r, c)| (r.as_str(), c.as_str()))).unwrap();

    let spec = openapi();
    let paths = spec["paths"].as_mapping().unwrap();
    let mut documented_routes = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().unwrap();
        let declared = item["x-spin-route"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} lacks x-spin-route"));
        documented_routes.insert(declared.to_string());
        // Instantiate {params} with sample values and route it as Spin would.
        let sample: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let matched = router
            .route(&sample)
            .unwrap_or_else(|| panic!("documented path {path} has no route"));
        assert_eq!(
            matched.raw_route, declared,
            "{path} is served by another route"
        );
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                assert!(
                    op.get("responses").is_some(),
                    "{method} {path} has no responses"
                );
            }
        }
    }
    let served: BTreeSet<String> = routes.iter().map(|(r, _)| r.clone()).collect();
    let missing: Vec<_> = served.difference(&documented_routes).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.yaml: {missing:?}"
    );
}

/// The Makefile builds `functions/*`: each must be a component of spin.toml with the right source.
#[test]
fn every_function_crate_is_a_component() {
    let m = manifest();
    let components: BTreeMap<String, toml::Value> = m["component"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let crates: BTreeSet<String> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(crates, components.keys().cloned().collect::<BTreeSet<_>>());
    for (id, c) in &components {
        let source = c["source"].as_str().unwrap();
        assert_eq!(
            source,
            format!("target/wasm32-wasip2/release/{}.wasm", id.replace('-', "_"))
        );
        let build = c["build"]["command"].as_str().unwrap();
        // static-files also builds the page's e.firma signer into static/ (issue 7).
        let expected = match id.as_str() {
            "static-files" => format!(
                "cargo build --target wasm32-wasip2 --release -p {id} && sh shared/efirma-web/build.sh"
            ),
            _ => format!("cargo build --target wasm32-wasip2 --release -p {id}"),
        };
        assert_eq!(build, expected);
    }
}

#[test]
fn responses_carry_security_headers_and_errors_are_json() {
    let app = start();
    let r = app.send(TestRequest::get("/api/v1/terminos/otra"));
    assert_error(&r, 404, "TERMINOS_NO_ENCONTRADOS");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // The page: only its own scripts (and its wasm signer) run, and it talks to no other origin.
    let page = app.get("/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(page.header("strict-transport-security").is_some());
}
