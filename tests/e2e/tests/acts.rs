//! Issue 4 end to end: terms, nonces, e.firma sessions, signed acts and sealed acuses, over HTTP
//! against the real components on the host.

use std::collections::BTreeSet;
use std::time::Duration;

use avisos_e2e::*;
use avisos_host::TestClock;
use avisos_host::testing::{TestApp, TestRequest, workspace_root};
use serde_json::{Value, json};

fn forgery(name: &str) -> Signer {
    let dir = workspace_root()
        .join("tests/e2e/fixtures/forgeries")
        .join(name);
    Signer::open(
        dir.join("certificado.cer"),
        dir.join("clave.key"),
        DEMO_PASSWORD.as_bytes(),
    )
}

#[test]
fn terms_are_served_with_their_hash() {
    let app = start();
    let all: Vec<Value> = app.get("/api/v1/terminos").json();
    assert_eq!(all.len(), 4);
    for t in &all {
        use sha2::Digest;
        let text = t["texto"].as_str().unwrap();
        let sha = efirma::to_hex(&sha2::Sha256::digest(text.as_bytes()));
        assert_eq!(t["sha256"], sha);
        let one: Value = app
            .get(&format!("/api/v1/terminos/{}", t["id"].as_str().unwrap()))
            .json();
        assert_eq!(&one, t);
        assert_eq!(
            t["leyenda_aceptacion"],
            "He leído y acepto las condiciones de este servicio"
        );
    }
}

#[test]
fn login_with_a_valid_fiel_gives_a_session_by_bearer_and_cookie() {
    let app = start();
    let patron = Signer::demo(PATRON);
    let act = prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]);
    let r = send_act(&app, "/api/v1/sesiones", &act);
    assert_eq!(r.status, 201, "{}", r.text());
    let cookie = r.header("set-cookie").unwrap().to_string();
    for attr in ["avisos_sesion=", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let body: Value = r.json();
    let token = body["token"].as_str().unwrap();
    assert_eq!(body["sesion"]["rfc"], PATRON);
    assert_eq!(body["sesion"]["rol"], "patron");
    assert_eq!(body["sesion"]["nombre"], "EMPRESA DEMOSTRACION SA DE CV");

    let me: Value = get_with(&app, "/api/v1/sesiones/actual", token).json();
    assert_eq!(me["rfc"], PATRON);
    let cookie_value = cookie.split(';').next().unwrap().to_string();
    let by_cookie =
        app.send(TestRequest::get("/api/v1/sesiones/actual").header("cookie", cookie_value));
    assert_eq!(by_cookie.status, 200);

    // Logout: the same token no longer works.
    let out = app.send(
        TestRequest::delete("/api/v1/sesiones/actual")
            .header("authorization", format!("Bearer {token}")),
    );
    assert_eq!(out.status, 200, "{}", out.text());
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_error(
        &get_with(&app, "/api/v1/sesiones/actual", token),
        401,
        "SESION_CERRADA",
    );
}

#[test]
fn login_refusals() {
    let app = start();
    let login = |signer: &Signer, rfc: &str| {
        let mut act = prepare(&app, signer, "INICIO_SESION", None, &[("rol", "patron")]);
        if rfc != signer.rfc {
            // Claim another RFC: nonce for it, the signer's own certificate and signature.
            let n = nonce(&app, rfc, "INICIO_SESION");
            let fecha = act.body["fecha"].as_str().unwrap().to_string();
            let c = cadena("INICIO_SESION", rfc, &fecha, &n, "", &[("rol", "patron")]);
            act.body.insert("rfc".into(), json!(rfc));
            act.body.insert("nonce".into(), json!(n));
            act.body.insert("firma".into(), json!(signer.sign(&c)));
        }
        send_act(&app, "/api/v1/sesiones", &act)
    };
    // A CSD is not an e.firma (SAT test CSD, valid until 2027).
    let csd = Signer::sat("CSD_EKU9003173C9_30001000000500003416");
    assert_error(&login(&csd, &csd.rfc), 403, "EFIRMA_NO_ES_FIEL");
    // Expired FIEL (SAT's 2019 test set).
    let old = Signer::sat("FIEL_EKU9003173C9_30001000000400002417");
    assert_error(&login(&old, &old.rfc), 403, "EFIRMA_CERT_VENCIDO");
    // A self-signed look-alike of the demo employer.
    let fake = forgery("autofirmado");
    let r = login(&fake, &fake.rfc);
    assert_eq!(r.status, 403, "{}", r.text());
    // A certificate from a forged CA that copies the demo CA's name.
    assert_error(
        &login(&forgery("ac-falsa"), PATRON),
        403,
        "EFIRMA_CADENA_INVALIDA",
    );
    // Someone else's RFC.
    let dev = Signer::demo(DESARROLLADOR);
    assert_error(&login(&dev, PATRON), 403, "EFIRMA_RFC_NO_COINCIDE");
    // Role analista is only for configured analysts.
    let act = prepare(&app, &dev, "INICIO_SESION", None, &[("rol", "analista")]);
    assert_error(
        &send_act(&app, "/api/v1/sesiones", &act),
        403,
        "ROL_NO_PERMITIDO",
    );
    let analyst = Signer::demo(ANALISTA);
    let act = prepare(
        &app,
        &analyst,
        "INICIO_SESION",
        None,
        &[("rol", "analista")],
    );
    assert_eq!(send_act(&app, "/api/v1/sesiones", &act).status, 201);
}

#[test]
fn tampering_and_nonce_refusals() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock));
    let patron = Signer::demo(PATRON);

    // Data changed after signing.
    let mut act = prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]);
    act.body
        .insert("datos".into(), json!({"rol": "desarrollador"}));
    assert_error(
        &send_act(&app, "/api/v1/sesiones", &act),
        403,
        "EFIRMA_FIRMA_INVALIDA",
    );
    // That refusal did not use the nonce up: the untampered act still goes through once.
    act.body.insert("datos".into(), json!({"rol": "patron"}));
    assert_eq!(send_act(&app, "/api/v1/sesiones", &act).status, 201);
    // Replay.
    assert_error(
        &send_act(&app, "/api/v1/sesiones", &act),
        409,
        "NONCE_USADO",
    );

    // Another action's nonce.
    let n = nonce(&app, PATRON, "ACEPTACION_TERMINOS");
    let fecha = server_now(&app);
    let c = cadena(
        "INICIO_SESION",
        PATRON,
        &fecha,
        &n,
        "",
        &[("rol", "patron")],
    );
    let mut act = prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]);
    act.body.insert("nonce".into(), json!(n));
    act.body.insert("fecha".into(), json!(fecha));
    act.body.insert("firma".into(), json!(patron.sign(&c)));
    assert_error(
        &send_act(&app, "/api/v1/sesiones", &act),
        400,
        "NONCE_OTRA_ACCION",
    );

    // Expired nonce: issued, then six minutes pass before signing.
    let n = nonce(&app, PATRON, "INICIO_SESION");
    clock.advance(Duration::from_secs(6 * 60));
    let fecha = server_now(&app);
    let c = cadena(
        "INICIO_SESION",
        PATRON,
        &fecha,
        &n,
        "",
        &[("rol", "patron")],
    );
    act.body.insert("nonce".into(), json!(n));
    act.body.insert("fecha".into(), json!(fecha));
    act.body.insert("firma".into(), json!(patron.sign(&c)));
    assert_error(
        &send_act(&app, "/api/v1/sesiones", &act),
        400,
        "NONCE_EXPIRADO",
    );

    // Unknown action and malformed bodies.
    let r = app.send(
        TestRequest::post("/api/v1/nonces").json(&json!({"rfc": PATRON, "accion": "BORRAR"})),
    );
    assert_error(&r, 400, "ACCION_DESCONOCIDA");
    let r = app.send(
        TestRequest::post("/api/v1/nonces")
            .json(&json!({"rfc": "EDE200101AB1", "accion": "INICIO_SESION"})),
    );
    assert_error(&r, 400, "RFC_DIGITO_VERIFICADOR");
    assert_error(&app.post("/api/v1/sesiones", "{"), 400, "JSON_INVALIDO");
    assert_error(
        &app.post("/api/v1/nonces", vec![b'x'; 5000]),
        413,
        "CUERPO_DEMASIADO_GRANDE",
    );
}

#[test]
fn sessions_missing_expired_and_forged() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock));
    assert_error(&app.get("/api/v1/sesiones/actual"), 401, "SESION_REQUERIDA");
    let token = login(&app, &Signer::demo(PATRON), "patron");
    // Forged: flip one character of the signature part.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_error(
        &get_with(&app, "/api/v1/sesiones/actual", &forged),
        401,
        "SESION_INVALIDA",
    );
    assert_error(
        &get_with(&app, "/api/v1/sesiones/actual", "v1.e30.AAAA"),
        401,
        "SESION_INVALIDA",
    );
    assert_eq!(
        get_with(&app, "/api/v1/sesiones/actual", &token).status,
        200
    );
    clock.advance(Duration::from_secs(21 * 60));
    assert_error(
        &get_with(&app, "/api/v1/sesiones/actual", &token),
        401,
        "SESION_EXPIRADA",
    );
}

#[test]
fn concurrent_uses_of_a_nonce_have_exactly_one_winner() {
    let app = start();
    let patron = Signer::demo(PATRON);
    // 10 nonces, each raced by 20 identical signed requests: 200 concurrent consumptions.
    let acts: Vec<Act> = (0..10)
        .map(|_| prepare(&app, &patron, "INICIO_SESION", None, &[("rol", "patron")]))
        .collect();
    let requests = acts.iter().flat_map(|a| {
        (0..20).map(move |_| {
            TestRequest::post("/api/v1/sesiones").json(&Value::Object(a.body.clone()))
        })
    });
    let responses = app.send_all(requests);
    for (i, chunk) in responses.chunks(20).enumerate() {
        let wins = chunk.iter().filter(|r| r.status == 201).count();
        let replays = chunk
            .iter()
            .filter(|r| r.status == 409 && r.text().contains("NONCE_USADO"))
            .count();
        assert_eq!((wins, replays), (1, 19), "nonce {i}");
    }
}

/// Accepts the relations terms as a signed act and returns the response body.
fn accept_terms(app: &TestApp, signer: &Signer) -> Value {
    let act = prepare(
        app,
        signer,
        "ACEPTACION_TERMINOS",
        Some("relaciones-de-confianza"),
        &[],
    );
    let r = send_act(
        app,
        "/api/v1/terminos/relaciones-de-confianza/aceptaciones",
        &act,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

#[test]
fn acuse_pdf_opens_shows_the_folio_and_its_seal_verifies() {
    let app = start();
    let patron = Signer::demo(PATRON);
    let token = login(&app, &patron, "patron");
    let before: Value = get_with(
        &app,
        "/api/v1/terminos/relaciones-de-confianza/aceptaciones",
        &token,
    )
    .json();
    assert_eq!(before["aceptados"], false);

    let done = accept_terms(&app, &patron);
    let folio = done["folio"].as_str().unwrap().to_string();
    assert_eq!(folio.len(), 10);
    let after: Value = get_with(
        &app,
        "/api/v1/terminos/relaciones-de-confianza/aceptaciones",
        &token,
    )
    .json();
    assert_eq!(after["aceptados"], true);
    assert_eq!(after["ultima_aceptacion"]["folio"], folio.as_str());

    let pdf = get_with(&app, &format!("/api/v1/acuses/{folio}"), &token);
    assert_eq!(pdf.status, 200, "{}", pdf.text());
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let doc = lopdf::Document::load_mem(&pdf.body).expect("the acuse is a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    assert!(text.contains(&format!("Folio: {folio}")), "{text}");
    assert!(text.contains("RFC: EDE200101AB0"));

    // The seal in the PDF verifies with the published key.
    let info = doc
        .get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
        .unwrap();
    let text_of = |k: &[u8]| {
        let raw = info.get(k).unwrap().as_str().unwrap();
        lopdf::decode_text_string(&lopdf::Object::String(
            raw.to_vec(),
            lopdf::StringFormat::Literal,
        ))
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
    };
    let cadena_sello = text_of(b"AvisosCadenaSello");
    let sello = B64.decode_vec(text_of(b"AvisosSello"));
    let pem = app.get("/api/v1/sello?formato=pem").text();
    assert!(avisos_acts::seal::verify(
        &pem,
        cadena_sello.as_bytes(),
        &sello
    ));
    assert!(cadena_sello.contains(&folio));
    assert!(!avisos_acts::seal::verify(
        &pem,
        cadena_sello.replace(&folio, "0000000000").as_bytes(),
        &sello
    ));

    // JSON form, and nobody else can download it.
    let record: Value = get_with(
        &app,
        &format!("/api/v1/acuses/{folio}?formato=json"),
        &token,
    )
    .json();
    assert_eq!(record["folio"], folio.as_str());
    // A route parameter is the platform's: a client's own `spin-path-match-folio` (which Spin
    // forwards ahead of its own) names nothing, whichever way it points.
    let forged = |path: &str, claimed: &str| {
        app.send(
            TestRequest::get(path)
                .header("authorization", format!("Bearer {token}"))
                .header("spin-path-match-folio", claimed),
        )
    };
    let r = forged(
        &format!("/api/v1/acuses/{folio}?formato=json"),
        "0000000000",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["folio"], folio.as_str());
    assert_error(
        &forged("/api/v1/acuses/0000000000?formato=json", &folio),
        404,
        "ACUSE_NO_ENCONTRADO",
    );
    let other = login(&app, &Signer::demo(PATRON_FISICA), "patron");
    assert_error(
        &get_with(&app, &format!("/api/v1/acuses/{folio}"), &other),
        404,
        "ACUSE_NO_ENCONTRADO",
    );
    assert_error(
        &app.get(&format!("/api/v1/acuses/{folio}")),
        401,
        "SESION_REQUERIDA",
    );
}

trait DecodeVec {
    fn decode_vec(&self, s: String) -> Vec<u8>;
}

impl DecodeVec for base64::engine::GeneralPurpose {
    fn decode_vec(&self, s: String) -> Vec<u8> {
        use base64::Engine;
        self.decode(s.trim()).expect("base64")
    }
}

#[test]
fn a_thousand_concurrent_acts_get_a_thousand_distinct_folios() {
    let app = start();
    let patron = Signer::demo(PATRON);
    let acts: Vec<Act> = (0..1000)
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
    let responses = app.send_all(acts.iter().map(|a| {
        TestRequest::post("/api/v1/terminos/relaciones-de-confianza/aceptaciones")
            .json(&Value::Object(a.body.clone()))
    }));
    let folios: BTreeSet<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text());
            r.json::<Value>()["folio"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(folios.len(), 1000);
}
