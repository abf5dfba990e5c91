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

#[test]
fn an_unset_mode_is_demo_like_in_the_rest_of_the_service() {
    // spin.toml's default is `demo`; an empty value is what Spin gives when it is left blank.
    let app = TestApp::start(app_options().variable("modo", ""));
    assert_eq!(app.get(CERTIFICADO).status, 200);
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
        assert_error(&app.get(path), 500, "CONFIGURACION_INVALIDA");
        assert_eq!(head(&app, path).status, 500, "HEAD {path}");
    }
    // The page does not depend on the mode.
    assert_page_is_served(&app);
}
