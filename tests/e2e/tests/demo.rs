//! The demo e.firma credentials (`static/demo/`, password `demo12345`) are served only in demo
//! mode: production answers 404 for everything under `/demo/`, exactly as for a missing file, so
//! the page (which probes `HEAD /demo/LEEME.txt`) does not offer «Usar credenciales de
//! demostración»; the rest of the page is served in every mode.

use avisos_e2e::{app_options, assert_error};
use avisos_host::testing::{TestApp, TestOptions, TestRequest, TestResponse, workspace_root};

const CERTIFICADO: &str = "/demo/efirma/EDE200101AB0/certificado.cer";

/// Every demo path the page or a user could ask for, in several spellings.
const DEMO_PATHS: &[&str] = &[
    CERTIFICADO,
    "/demo/efirma/EDE200101AB0/clave.key",
    "/demo/efirma/AIGL850215QR5/clave.key",
    "/demo/LEEME.txt",
    "/demo/ac-demo.cer",
    "/demo/",
    "/demo/efirma/",
    "/demo/no-existe.txt",
    "/%64emo/LEEME.txt",
    "//demo/./efirma/EDE200101AB0/clave.key",
    "/DEMO/LEEME.txt",
];

fn production() -> TestApp {
    TestApp::start(
        app_options()
            .variable("modo", "produccion")
            .variable("confianza_efirma", "sat-produccion"),
    )
}

fn head(app: &TestApp, path: &str) -> TestResponse {
    app.send(TestRequest::new("HEAD".parse().unwrap(), path))
}

fn assert_page_is_served(app: &TestApp) {
    let index = app.get("/");
    assert_eq!(index.status, 200, "{}", index.text());
    assert!(index.text().contains("Servicios de Intercomunicación"));
    for path in [
        "/index.html",
        "/js/ui.js",
        "/js/portal.js",
        "/estilos.css",
        "/openapi.yaml",
    ] {
        let r = app.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(head(app, path).status, 200, "HEAD {path}");
    }
}

#[test]
fn demo_mode_serves_the_demo_credentials() {
    let app = TestApp::start(app_options().variable("modo", "demo"));
    let cer = app.get(CERTIFICADO);
    assert_eq!(cer.status, 200, "{}", cer.text());
    assert_eq!(cer.header("content-type"), Some("application/pkix-cert"));
    assert_eq!(
        cer.body,
        std::fs::read(workspace_root().join(format!("static{CERTIFICADO}"))).unwrap()
    );
    assert_eq!(head(&app, "/demo/LEEME.txt").status, 200);
    assert_eq!(app.get("/demo/efirma/EDE200101AB0/clave.key").status, 200);
    assert_page_is_served(&app);
}

/// Nothing configured at all (spin.toml's defaults, as a deployment that forgot every variable):
/// the production rules, never the demo. No `/demo/` files, the demo e.firma is not trusted, no
/// generated secret, and `/api/v1/salud` says so with a 503 a readiness probe acts on.
#[test]
fn an_unset_configuration_fails_closed() {
    let app = TestApp::start(TestOptions::app());
    for path in [CERTIFICADO, "/demo/LEEME.txt"] {
        assert_error(&app.get(path), 404, "RECURSO_NO_ENCONTRADO");
    }
    assert_page_is_served(&app);
    let salud = app.get("/api/v1/salud");
    assert_eq!(salud.status, 503, "{}", salud.text());
    let v: serde_json::Value = salud.json();
    assert_eq!(v["estado"], "degradado");
    assert_eq!(v["almacen"]["disponible"], true);
    assert_eq!(v["configuracion"]["modo"], "produccion");
    assert_eq!(v["configuracion"]["valida"], false);
    let missing: Vec<&str> = v["configuracion"]["problemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["variable"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["clave_sesion", "clave_contrasena", "llave_sello"]);
    // A request that needs the missing secret names it; nothing was generated in its place.
    let r =
        app.send(TestRequest::get("/api/v1/sesiones/actual").header("authorization", "Bearer x.y"));
    assert_error(&r, 503, "CONFIGURACION_INVALIDA");
    assert!(r.text().contains("clave_sesion"), "{}", r.text());
    let kv = avisos_e2e::host_kv_of(&app);
    for key in [
        "config:demo:clave-sesion",
        "config:demo:clave-contrasena",
        "config:demo:llave-sello",
    ] {
        assert_eq!(avisos_kv::KeyValue::get(&kv, key).unwrap(), None, "{key}");
    }
    // The demo e.firma is not trusted: no session, whatever the rest of the login says.
    let act = avisos_e2e::prepare(
        &app,
        &avisos_e2e::Signer::demo(avisos_e2e::PATRON),
        "INICIO_SESION",
        None,
        &[("rol", "patron")],
    );
    let login = avisos_e2e::send_act(&app, "/api/v1/sesiones", &act);
    assert_ne!(login.status, 201, "{}", login.text());
    assert!(login.status >= 400, "{}", login.text());
}

/// With both secrets set and no `modo`, the service is healthy in production mode.
#[test]
fn production_needs_only_its_secrets() {
    let app = TestApp::start(
        TestOptions::app()
            .variable("clave_sesion", avisos_e2e::TEST_SESSION_KEY)
            .variable("clave_contrasena", avisos_e2e::TEST_PASSWORD_KEY)
            .variable("llave_sello", avisos_e2e::test_seal_pem()),
    );
    let salud = app.get("/api/v1/salud");
    assert_eq!(salud.status, 200, "{}", salud.text());
    let v: serde_json::Value = salud.json();
    assert_eq!(v["configuracion"]["modo"], "produccion");
    assert_eq!(app.get(CERTIFICADO).status, 404);
}

#[test]
fn production_mode_hides_every_demo_path_behind_a_plain_404() {
    let app = production();
    for path in DEMO_PATHS {
        let r = app.get(path);
        assert_error(&r, 404, "RECURSO_NO_ENCONTRADO");
        // The same answer as a file that does not exist: nothing tells the directory is there.
        let missing = app.get("/no-existe.txt");
        assert_eq!(
            (r.status, r.header("content-type"), &r.body),
            (
                missing.status,
                missing.header("content-type"),
                &missing.body
            ),
            "{path}"
        );
        let h = head(&app, path);
        assert_eq!(h.status, 404, "HEAD {path}");
    }
    assert_page_is_served(&app);
}

#[test]
fn an_invalid_mode_never_serves_the_demo_credentials() {
    let app = TestApp::start(TestOptions::app().variable("modo", "pruebas"));
    // Like every endpoint that reads `modo`: a configuration error, not the files.
    for path in [CERTIFICADO, "/demo/LEEME.txt"] {
        assert_error(&app.get(path), 503, "CONFIGURACION_INVALIDA");
        assert_eq!(head(&app, path).status, 503, "HEAD {path}");
    }
    // The page does not depend on the mode.
    assert_page_is_served(&app);
    let salud = app.get("/api/v1/salud");
    assert_eq!(salud.status, 503);
    let v: serde_json::Value = salud.json();
    assert_eq!(v["configuracion"]["modo"], serde_json::Value::Null);
    assert_eq!(v["configuracion"]["problemas"][0]["variable"], "modo");
}
