//! Limits (issue 9): every route of spin.toml refuses an oversize body with 413 JSON before
//! reading it, and signed acts, logins and nonces are rate-limited per RFC (and nonces per
//! client address) with 429, `Retry-After` and a Spanish message, configurable through the
//! `limites` Spin variable.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use avisos_e2e::*;
use avisos_host::testing::{TestApp, TestRequest, TestResponse, workspace_root};
use serde_json::{Value, json};

/// Every route of spin.toml as a concrete path (`:x` → a value, `/...` → a sub-path).
fn routes() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workspace_root().join("spin.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest["trigger"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let route = t["route"].as_str().unwrap();
            let path = route
                .split('/')
                .map(|seg| match seg {
                    "..." => "x",
                    s if s.starts_with(':') => "X1",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let path = if path.is_empty() { "/".into() } else { path };
            (path, t["component"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Sends only the head of a request that announces a 100 MB body, and reads the answer:
/// the body is never sent, so an answer proves the refusal came before reading it.
fn announce_huge_body(app: &TestApp, method: &str, path: &str) -> (u16, Value) {
    announce_body(app, method, path, 100_000_000)
}

/// Sends a request's head announcing a body of `length` bytes, sends none of it, and reads the
/// answer: one that comes at all was decided without the body.
fn announce_body(app: &TestApp, method: &str, path: &str, length: usize) -> (u16, Value) {
    let mut s = TcpStream::connect(app.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\nconnection: close\r\n\r\n",
        app.addr()
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no HTTP answer: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The error body may be sent chunked: keep the JSON object only.
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn every_route_refuses_an_oversize_body_before_reading_it() {
    let app = start();
    let mut refused_somewhere = Vec::new();
    for (path, component) in routes() {
        let mut codes = Vec::new();
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let (status, body) = announce_huge_body(&app, method, &path);
            // Either the method is not served here, or the body is refused: never read.
            assert!(
                matches!(status, 405 | 413),
                "{method} {path} ({component}) answered {status} {body} to a 100 MB body"
            );
            let expected = if status == 413 {
                "CUERPO_DEMASIADO_GRANDE"
            } else {
                "METODO_NO_PERMITIDO"
            };
            assert_eq!(body["codigo"], expected, "{method} {path}: {body}");
            assert!(body["mensaje"].as_str().is_some_and(|m| !m.is_empty()));
            codes.push(status);
        }
        assert!(
            codes.contains(&413),
            "{path} ({component}): no method refused the body with 413: {codes:?}"
        );
        refused_somewhere.push(component);
    }
    assert!(refused_somewhere.len() >= 10, "{refused_somewhere:?}");
}

/// The two routes that take megabytes (an evidence workbook, a publication of avisos) decide on
/// the session before they read the body: a caller without one, or with another role, is refused
/// while its body is still unsent (an answer comes at all), so nobody unproven makes them read
/// megabytes.
#[test]
fn large_bodies_are_read_only_for_a_proven_caller() {
    let app = start();
    let evidence = "/api/v1/certificaciones/C000001/evidencias";
    let publication = "/api/v1/avisos/publicaciones";
    for (path, length) in [(evidence, 5 * 1024 * 1024), (publication, 8 * 1024 * 1024)] {
        let (status, body) = announce_body(&app, "POST", path, length);
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["codigo"], "SESION_REQUERIDA", "{path}: {body}");
    }
    // An employer's session is not an analyst's: the publication refuses it unread too.
    let e = employer(&app, PATRON);
    let mut s = TcpStream::connect(app.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST {publication} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\n",
        app.addr(),
        e.token
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
}

/// The app with these limits, its clock at the start of a limit window (every window is aligned
/// to multiples of its length, and 18:00:00 UTC is one of each): a test's counts never straddle
/// two windows, whenever it runs.
fn app_with_limits(limits: &str) -> TestApp {
    TestApp::start(
        app_options()
            .variable("limites", limits)
            .clock(&midday_clock()),
    )
}

#[test]
fn logins_are_limited_per_rfc_with_retry_after() {
    let app = app_with_limits("sesiones=3/60");
    let patron = Signer::demo(PATRON);
    for _ in 0..3 {
        login(&app, &patron, "patron");
    }
    let act = prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]);
    let r = send_act(&app, "/api/v1/sesiones", &act);
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
    let retry: u32 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        r.text().contains("inicios de sesión por RFC"),
        "{}",
        r.text()
    );
    // Other RFCs are not affected.
    login(&app, &Signer::demo(PATRON_FISICA), "patron");
}

#[test]
fn signed_acts_are_limited_per_rfc() {
    let app = app_with_limits("actos=2/60");
    let patron = Signer::demo(PATRON);
    let path = "/api/v1/terminos/relaciones-de-confianza/aceptaciones";
    let acts: Vec<Act> = (0..3)
        .map(|_| {
            prepare(
                &app,
                &patron,
                "ACEPTACION_TERMINOS",
                Some("relaciones-de-confianza"),
                &[],
            )
        })
        .collect();
    assert_eq!(send_act(&app, path, &acts[0]).status, 201);
    assert_eq!(send_act(&app, path, &acts[1]).status, 201);
    let r = send_act(&app, path, &acts[2]);
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
    assert!(r.header("retry-after").is_some());
    // Logins count apart from acts.
    login(&app, &patron, "patron");
}

#[test]
fn nonces_are_limited_per_rfc_and_per_client() {
    let app = app_with_limits("nonces=3/60,nonces_cliente=5/60");
    let ask = |rfc: &str| {
        app.send(
            TestRequest::post("/api/v1/nonces")
                .json(&json!({"rfc": rfc, "accion": "INICIO_SESION"})),
        )
    };
    for _ in 0..3 {
        assert_eq!(ask(PATRON).status, 201);
    }
    let r = ask(PATRON);
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
    assert!(r.text().contains("nonces por RFC"), "{}", r.text());
    // Another RFC from the same client: per-RFC is fine, but the client's budget (5) runs out.
    assert_eq!(ask(PATRON_FISICA).status, 201);
    let r = ask(DESARROLLADOR);
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
    assert!(r.text().contains("por equipo cliente"), "{}", r.text());
}

/// Spin forwards a client's own `spin-client-addr` ahead of Spin's: making one up per request
/// does not open a new per-client budget.
#[test]
fn a_made_up_client_address_does_not_escape_the_per_client_limit() {
    let app = app_with_limits("nonces_cliente=5/60");
    let ask = |i: usize| {
        app.send(
            TestRequest::post("/api/v1/nonces")
                .header("spin-client-addr", format!("203.0.113.{i}:4000"))
                .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
        )
    };
    for i in 0..5 {
        assert_eq!(ask(i).status, 201);
    }
    let r = ask(99);
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
    assert!(r.text().contains("por equipo cliente"), "{}", r.text());
}

/// Issue 15: RFCs are public, so junk sent in someone's name is charged to the client that
/// sends it (and to the pair RFC + client), never to the RFC. After 1,000 junk logins and 1,000
/// nonce requests for an RFC from one client within a minute, the owner logs in from another
/// client at once.
#[test]
fn junk_in_someones_name_never_locks_the_owner_out() {
    let app = app_with_limits("");
    let attacker = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let fecha = server_now(&app);
    let junk = (0..1000).map(|i| {
        TestRequest::post("/api/v1/sesiones")
            .from_address(attacker)
            .json(&json!({
                "rfc": PATRON,
                "nonce": format!("basura-{i}"),
                "fecha": fecha,
                "datos": {"rol": "patron"},
                "certificado": "AAAA",
                "firma": "AAAA",
            }))
    });
    let answers = app.send_all(junk);
    assert!(answers.iter().all(|r| r.status != 201));
    // All at once: `actos_cliente` (600) refuses 400 before any work, and of the rest only
    // `firmas_fallidas` (10) are answered with the e.firma's refusal, whatever the concurrency.
    let limited = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(limited, 990, "junk logins limited");
    let nonces = (0..1000).map(|_| {
        TestRequest::post("/api/v1/nonces")
            .from_address(attacker)
            .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"}))
    });
    let answers = app.send_all(nonces);
    assert!(answers.iter().filter(|r| r.status == 429).count() >= 800);

    // The owner, from another client, at once.
    let token = login(&app, &Signer::demo(PATRON), "patron");
    assert_eq!(
        get_with(&app, "/api/v1/sesiones/actual", &token).status,
        200
    );
    // The attacker's own client stays refused for that RFC.
    let r = app.send(
        TestRequest::post("/api/v1/nonces")
            .from_address(attacker)
            .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
    );
    assert_error(&r, 429, "LIMITE_EXCEDIDO");
}

/// Behind a trusted proxy (`cabecera_cliente`), the client is the address the proxy appended
/// to its header; what a client writes before it changes nothing.
#[test]
fn behind_a_trusted_proxy_the_client_is_what_the_proxy_appended() {
    let app = TestApp::start(
        app_options()
            .clock(&midday_clock())
            .variable("limites", "nonces_cliente=3/60")
            .variable("cabecera_cliente", "X-Forwarded-For"),
    );
    let ask = |forwarded: &str| {
        app.send(
            TestRequest::post("/api/v1/nonces")
                .header("x-forwarded-for", forwarded)
                .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
        )
    };
    for _ in 0..3 {
        assert_eq!(ask("203.0.113.1").status, 201);
    }
    assert_error(&ask("9.9.9.9, 203.0.113.1"), 429, "LIMITE_EXCEDIDO");
    assert_eq!(
        ask("203.0.113.1, 203.0.113.2").status,
        201,
        "another client"
    );
}

#[test]
fn relations_tables_and_exports_are_limited_per_rfc() {
    let app = app_with_limits("tablas=3/60");
    let token = login(&app, &Signer::demo(PATRON), "patron");
    let get = |path: &str, token: &str| get_with(&app, path, token);
    assert_eq!(get("/api/v1/relaciones", &token).status, 200);
    assert_eq!(get("/api/v1/relaciones?pagina=2", &token).status, 200);
    assert_eq!(get("/api/v1/relaciones/exportacion", &token).status, 200);
    for path in ["/api/v1/relaciones", "/api/v1/relaciones/exportacion"] {
        let r = get(path, &token);
        assert_error(&r, 429, "LIMITE_EXCEDIDO");
        assert!(r.header("retry-after").is_some());
        assert!(r.text().contains("tabla de relaciones"), "{}", r.text());
    }
    // Per RFC: another employer still reads its table.
    let other = login(&app, &Signer::demo(PATRON_FISICA), "patron");
    assert_eq!(get("/api/v1/relaciones", &other).status, 200);
}

#[test]
fn a_bad_limits_variable_is_a_configuration_error() {
    let app = app_with_limits("actos=muchos");
    let r = app.send(
        TestRequest::post("/api/v1/nonces")
            .json(&json!({"rfc": PATRON, "accion": "INICIO_SESION"})),
    );
    assert_error(&r, 503, "CONFIGURACION_INVALIDA");
}

fn bearer(request: TestRequest, token: &str) -> TestRequest {
    request.header("authorization", format!("Bearer {token}"))
}

fn consultation(token: &str) -> TestRequest {
    bearer(TestRequest::post("/api/v1/avisos/consultas"), token)
        .json(&json!({"rfc_patron": PATRON, "contrasena": "no-es-la-contrasena"}))
}

fn evidence_upload(token: &str) -> TestRequest {
    bearer(
        TestRequest::post("/api/v1/certificaciones/X1/evidencias"),
        token,
    )
    .header(
        "content-type",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .header("x-nombre-archivo", "evidencias.xlsx")
    .body(vec![b'P', b'K', 3, 4])
}

/// Asserts a rate-limit refusal: 429, `Retry-After` within the window, JSON `{codigo, mensaje}`
/// naming what is limited.
#[track_caller]
fn assert_limited(r: &TestResponse, what: &str) {
    assert_error(r, 429, "LIMITE_EXCEDIDO");
    let retry: u32 = r
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(r.text().contains(what), "{}", r.text());
}

/// Issue 15: every read that costs or writes (consultations, the audit, the directory,
/// evidence uploads, downloads) is limited per session RFC: a burst over the limit is refused
/// on every route of the bucket with 429 + `Retry-After` + JSON, and another session is served.
#[test]
fn reads_that_cost_are_limited_per_session() {
    let app = app_with_limits(
        "consultas=2/60,bitacora=2/60,directorio=2/60,evidencias=2/60,descargas=2/60",
    );
    let dev = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let dev2 = login(&app, &Signer::demo(DESARROLLADOR_2), "desarrollador");
    let patron = login(&app, &Signer::demo(PATRON), "patron");
    let patron2 = login(&app, &Signer::demo(PATRON_FISICA), "patron");
    type Route = fn(&str) -> TestRequest;
    type Routes = Vec<Box<dyn Fn(&str) -> TestRequest>>;
    let get = |path: &'static str| move |t: &str| bearer(TestRequest::get(path), t);
    // (what the refusal names, a session, another session, the bucket's routes)
    let cases: [(&str, &str, &str, Routes); 5] = [
        (
            "consultas de avisos por RFC",
            &dev,
            &dev2,
            vec![Box::new(consultation as Route)],
        ),
        (
            "consultas de la bitácora por RFC",
            &patron,
            &patron2,
            vec![Box::new(get("/api/v1/avisos/bitacora"))],
        ),
        (
            "búsquedas en el directorio",
            &patron,
            &patron2,
            vec![Box::new(get("/api/v1/desarrolladores?q=NOMINA"))],
        ),
        (
            "envíos de evidencias por RFC",
            &dev,
            &dev2,
            vec![Box::new(evidence_upload as Route)],
        ),
        (
            "descargas de acuses",
            &dev,
            &dev2,
            vec![
                Box::new(get("/api/v1/acuses/X1")),
                Box::new(get("/api/v1/certificaciones/X1/set-de-pruebas")),
                Box::new(get("/api/v1/certificaciones/X1/acuse-cancelacion")),
                Box::new(get("/api/v1/analistas/certificaciones/X1/evidencia")),
            ],
        ),
    ];
    for (what, token, other, routes) in &cases {
        // Within the limit: answered by the route itself (whatever it says of X1).
        for route in routes.iter().cycle().take(2) {
            let r = app.send(route(token));
            assert_ne!(r.status, 429, "{what}: {}", r.text());
        }
        for route in routes {
            assert_limited(&app.send(route(token)), what);
        }
        // Another session (another RFC), same client: served, up to its own limit.
        for route in routes.iter().take(2) {
            let r = app.send(route(other));
            assert_ne!(r.status, 429, "{what}: {}", r.text());
        }
    }
}

/// The same reads are limited per client address too, charged before the session is checked:
/// requests with no valid token pay, and the same session from another client is served.
#[test]
fn reads_that_cost_are_limited_per_client_before_the_session() {
    let app = app_with_limits("lecturas_cliente=6/60");
    let patron = login(&app, &Signer::demo(PATRON), "patron");
    let busy = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let anonymous = std::net::Ipv4Addr::new(127, 0, 0, 3);
    let routes = [
        "/api/v1/desarrolladores?q=NOMINA",
        "/api/v1/avisos/bitacora",
        "/api/v1/relaciones",
        "/api/v1/relaciones/exportacion",
        "/api/v1/acuses/X1",
        "/api/v1/certificaciones/X1/set-de-pruebas",
    ];
    for path in routes {
        let r = app.send(bearer(TestRequest::get(path), &patron).from_address(busy));
        assert_ne!(r.status, 429, "{path}: {}", r.text());
    }
    for path in routes {
        let r = app.send(bearer(TestRequest::get(path), &patron).from_address(busy));
        assert_limited(&r, "por equipo cliente");
    }
    let r = app.send(consultation(&patron).from_address(busy));
    assert_limited(&r, "por equipo cliente");
    // No session, or a forged one: the client pays all the same.
    for i in 0..6 {
        let token = if i % 2 == 0 { "falso" } else { "" };
        let r = app.send(bearer(TestRequest::get(routes[0]), token).from_address(anonymous));
        assert_eq!(r.status, 401, "{}", r.text());
    }
    let r = app.send(bearer(TestRequest::get(routes[0]), "falso").from_address(anonymous));
    assert_limited(&r, "por equipo cliente");
    // The same session from another client is served.
    assert_eq!(
        get_with(&app, "/api/v1/avisos/bitacora", &patron).status,
        200
    );
}

fn store_keys(app: &TestApp) -> std::collections::BTreeSet<String> {
    let backend = app
        .app()
        .and_then(|a| a.stores().get("default").cloned())
        .expect("the app has a default store");
    backend.get_keys("default").unwrap().into_iter().collect()
}

/// Issue 15: 400 consultations refused before the relation check (a developer nobody
/// certified, a certified one without a relation) add a constant number of keys, not a record
/// each; the employer's audit shows them as two records with their counts.
#[test]
fn a_flood_of_refused_consultations_leaves_a_bounded_audit() {
    // From the start of a limit window: the burst's counters never straddle two windows.
    let app = TestApp::start(app_options().clock(&midday_clock()));
    certify(&app, DESARROLLADOR_2, "SISTEMAS DE NOMINA DEMO SC");
    let patron = login(&app, &Signer::demo(PATRON), "patron");
    let uncertified = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let unrelated = login(&app, &Signer::demo(DESARROLLADOR_2), "desarrollador");
    let before = store_keys(&app);
    let burst = (0..400).map(|i| consultation(if i % 2 == 0 { &uncertified } else { &unrelated }));
    let answers = app.send_all(burst);
    let code = |r: &TestResponse| {
        r.json::<Value>()["codigo"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    for (i, r) in answers.iter().enumerate() {
        let want = if i % 2 == 0 {
            "DESARROLLADOR_NO_CERTIFICADO"
        } else {
            "RELACION_INEXISTENTE"
        };
        assert_eq!((r.status, code(r).as_str()), (403, want), "{}", r.text());
    }
    let after = store_keys(&app);
    let added: Vec<&String> = after.difference(&before).collect();
    eprintln!(
        "400 refused consultations added {} keys: {added:?}",
        added.len()
    );
    // Two aggregates (counter, record, pointer), the audit's counter, the rate-limit windows.
    assert!(added.len() <= 16, "{} keys added: {added:?}", added.len());

    let audit: Value = get_with(&app, "/api/v1/avisos/bitacora?por_pagina=100", &patron).json();
    let mut seen: Vec<(String, String, u64)> = audit["registros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["dia"].is_string(), "{r}");
            (
                r["rfc_desarrollador"].as_str().unwrap().to_owned(),
                r["resultado"].as_str().unwrap().to_owned(),
                r["veces"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                DESARROLLADOR.into(),
                "DESARROLLADOR_NO_CERTIFICADO".into(),
                200
            ),
            (DESARROLLADOR_2.into(), "RELACION_INEXISTENTE".into(), 200),
        ]
    );
}
