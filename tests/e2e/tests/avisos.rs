//! Issue 8 end to end: publishing, consulting and auditing avisos over HTTP, against the real
//! components on the host: the access matrix, cancellation and expiry taking effect on the next
//! request, date range and pagination checked against a filter computed here, the audit,
//! throttling of wrong passwords and bulk loads with bad rows.

mod avisos_datos;

use std::io::{Read, Write};
use std::time::Duration;

use avisos_datos as datos;
use avisos_e2e::*;
use avisos_host::TestClock;
use avisos_host::testing::{TestApp, TestRequest, TestResponse};
use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value, json};

const TERMS: &str = "relaciones-de-confianza";
const PUBLICAR: &str = "/api/v1/avisos/publicaciones";
const CONSULTAR: &str = "/api/v1/avisos/consultas";
const BITACORA: &str = "/api/v1/avisos/bitacora";

fn today(app: &TestApp) -> NaiveDate {
    server_now(app)[..10].parse().unwrap()
}

/// Adds a relation for Avisos ending `days` after today; returns the No. de Caso.
fn relate(app: &TestApp, e: &Employer, dev: &str, days: u64) -> String {
    let hoy = today(app);
    let fin = hoy + chrono::Days::new(days);
    let mut act = prepare(
        app,
        &e.signer,
        "ADICIONAR_RELACION",
        Some(TERMS),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", dev),
            ("inicio_vigencia", &hoy.to_string()),
            ("fin_vigencia", &fin.to_string()),
        ],
    );
    act.body.insert("contrasena".into(), json!(e.password));
    let r = send_act_as(app, "/api/v1/relaciones", &act, &e.token);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json::<Value>()["folio"].as_str().unwrap().to_string()
}

fn publish(app: &TestApp, patron: &str, rows: &[Value]) -> TestResponse {
    publish_avisos(app, patron, rows)
}

fn consult(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.send(
        TestRequest::post(CONSULTAR)
            .header("authorization", format!("Bearer {token}"))
            .json(&body),
    )
}

/// A consultation of the demo employer's avisos in the default range.
fn consult_patron(app: &TestApp, token: &str, password: &str) -> TestResponse {
    consult(app, token, ask(PATRON, password, json!({})))
}

fn ask(patron: &str, password: &str, extra: Value) -> Value {
    let mut m: Map<String, Value> = extra.as_object().cloned().unwrap_or_default();
    m.insert("rfc_patron".into(), json!(patron));
    m.insert("contrasena".into(), json!(password));
    Value::Object(m)
}

fn folios(v: &Value) -> Vec<String> {
    v["avisos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["folio_aviso"].as_str().unwrap().to_string())
        .collect()
}

/// The expected answer, computed here: rows in range and filter, ordered by (fecha, folio).
fn expected(
    rows: &[Value],
    desde: NaiveDate,
    hasta: NaiveDate,
    keep: impl Fn(&Value) -> bool,
) -> Vec<String> {
    let mut v: Vec<(String, String)> = rows
        .iter()
        .filter(|r| {
            let f: NaiveDate = r["fecha_aviso"].as_str().unwrap().parse().unwrap();
            desde <= f && f <= hasta && keep(r)
        })
        .map(|r| {
            (
                r["fecha_aviso"].as_str().unwrap().to_string(),
                r["folio_aviso"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, f)| f).collect()
}

fn first_day_of_previous_bimester(d: NaiveDate) -> NaiveDate {
    let b = (d.month() - 1) / 2; // 0..=5
    let (y, b) = if b == 0 {
        (d.year() - 1, 5)
    } else {
        (d.year(), b - 1)
    };
    NaiveDate::from_ymd_opt(y, b * 2 + 1, 1).unwrap()
}

fn audit(app: &TestApp, token: &str, query: &str) -> Value {
    let r = get_with(app, &format!("{BITACORA}{query}"), token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn publish_consult_paginate_and_audit() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    let no_caso = relate(&app, &e, DESARROLLADOR, 90);
    let hoy = today(&app);

    // 1,200 avisos over the last 200 days, three of them bad.
    let mut rows = datos::spread(1200, hoy, 200);
    rows[5]["nss"] = json!("12345678904");
    rows[17]["valor_descuento"] = json!("9999999");
    rows[30]["folio_aviso"] = rows[29]["folio_aviso"].clone();
    let r = publish(&app, PATRON, &rows);
    assert_eq!(r.status, 201, "{}", r.text());
    let p: Value = r.json();
    assert_eq!(p["recibidos"], 1200);
    assert_eq!(p["nuevos"], 1197);
    assert_eq!(p["rechazados"], 3);
    assert_eq!(p["total_patron"], 1197);
    let errs: Vec<(u64, &str)> = p["errores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["indice"].as_u64().unwrap(), e["campo"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errs,
        [(5, "nss"), (17, "valor_descuento"), (30, "folio_aviso")]
    );
    assert!(p["acuse"].as_str().unwrap().starts_with("/api/v1/acuses/"));
    let good: Vec<Value> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| ![5, 17, 30].contains(i))
        .map(|(_, r)| r.clone())
        .collect();

    // Publishing the same batch again changes nothing; a changed aviso replaces its folio.
    let r = publish(&app, PATRON, &good[..10]);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json::<Value>()["sin_cambios"], 10);

    // The payroll system: default range, every page, in order.
    let dev = Signer::demo(DESARROLLADOR);
    let token = login(&app, &dev, "desarrollador");
    let desde = first_day_of_previous_bimester(hoy);
    let want = expected(&good, desde, hoy, |_| true);
    assert!(want.len() > 300 && want.len() < 1197, "{}", want.len());
    let mut got = Vec::new();
    for pagina in 1.. {
        let r = consult(
            &app,
            &token,
            ask(
                PATRON,
                &e.password,
                json!({"pagina": pagina, "por_pagina": 250}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let v: Value = r.json();
        assert_eq!(v["total"], want.len());
        assert_eq!(v["no_caso"], no_caso);
        assert_eq!(v["filtros"]["fecha_desde"], desde.to_string());
        assert_eq!(v["filtros"]["fecha_hasta"], hoy.to_string());
        assert_eq!(v["paginas"], want.len().div_ceil(250));
        let page = folios(&v);
        if page.is_empty() {
            break;
        }
        got.extend(page);
    }
    assert_eq!(got, want);

    // An explicit range and the row filters.
    let (d1, d2) = (hoy - chrono::Days::new(150), hoy - chrono::Days::new(20));
    let nss = good[100]["nss"].as_str().unwrap().to_string();
    for (filter, keep) in [
        (
            json!({}),
            Box::new(|_: &Value| true) as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            json!({"nrp": datos::NRP_B}),
            Box::new(|r: &Value| r["nrp"] == datos::NRP_B),
        ),
        (
            json!({"tipo_aviso": "16"}),
            Box::new(|r: &Value| r["tipo_aviso"] == "16"),
        ),
        (
            json!({"nss": nss.clone()}),
            Box::new(move |r: &Value| r["nss"] == nss.as_str()),
        ),
    ] {
        let mut body = ask(PATRON, &e.password, filter.clone());
        body["fecha_desde"] = json!(d1.to_string());
        body["fecha_hasta"] = json!(d2.to_string());
        body["por_pagina"] = json!(1000);
        let r = consult(&app, &token, body);
        assert_eq!(r.status, 200, "{filter}: {}", r.text());
        let v: Value = r.json();
        let want = expected(&good, d1, d2, keep);
        assert_eq!(v["total"], want.len(), "{filter}");
        assert_eq!(folios(&v), want, "{filter}");
    }
    // Every field of a delivered aviso is as published.
    let r = consult(
        &app,
        &token,
        ask(
            PATRON,
            &e.password,
            json!({"nss": good[100]["nss"], "fecha_desde": "2000-01-01"}),
        ),
    );
    assert_eq!(r.json::<Value>()["avisos"][0], good[100]);

    // Refusals of the request itself (not audited) and an NRP that is not the employer's.
    assert_error(
        &consult(&app, &token, ask("EDE200101AB1", &e.password, json!({}))),
        400,
        "RFC_PATRON_INVALIDO",
    );
    assert_error(
        &consult(
            &app,
            &token,
            ask(PATRON, &e.password, json!({"por_pagina": 5000})),
        ),
        400,
        "POR_PAGINA_INVALIDO",
    );
    assert_error(
        &consult(
            &app,
            &token,
            ask(PATRON, &e.password, json!({"nrp": "Z0000000000"})),
        ),
        404,
        "NRP_NO_CORRESPONDE",
    );
    assert_error(
        &consult_patron(&app, &token, "equivocada"),
        403,
        "CONTRASENA_INCORRECTA",
    );
    // The password travels only in the body: an employer's session cannot consult.
    assert_error(
        &consult_patron(&app, &e.token, &e.password),
        403,
        "ROL_NO_PERMITIDO",
    );

    // The employer's audit: newest first, the developer, the result and the count.
    let a = audit(&app, &e.token, "?por_pagina=3");
    let regs = a["registros"].as_array().unwrap();
    assert_eq!(regs.len(), 3);
    assert_eq!(regs[0]["resultado"], "CONTRASENA_INCORRECTA");
    assert_eq!(regs[0]["estatus_http"], 403);
    assert_eq!(regs[1]["resultado"], "NRP_NO_CORRESPONDE");
    assert_eq!(regs[2]["resultado"], "CONSULTA_EXITOSA");
    assert_eq!(regs[2]["rfc_desarrollador"], DESARROLLADOR);
    assert_eq!(regs[2]["avisos_devueltos"], 1);
    assert!(regs[0]["numero"].as_i64() > regs[1]["numero"].as_i64());
    let total = a["total"].as_u64().unwrap();
    let pages = want.len().div_ceil(250) + 1;
    // Every page of the walk, the four filters, the one-aviso check and the two audited refusals.
    assert_eq!(total as usize, pages + 4 + 1 + 2, "{a}");
    let all = audit(&app, &e.token, "?por_pagina=100");
    assert!(
        all["registros"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rfc_desarrollador"] == DESARROLLADOR)
    );
    // Another employer sees none of it; a developer cannot read audits.
    let other = employer(&app, PATRON_FISICA);
    let a = audit(&app, &other.token, "");
    assert_eq!(a["total"], 0);
    assert!(a["registros"].as_array().unwrap().is_empty());
    assert_error(&get_with(&app, BITACORA, &token), 403, "ROL_NO_PERMITIDO");
    assert_error(
        &get_with(&app, &format!("{BITACORA}?por_pagina=0"), &e.token),
        400,
        "PARAMETRO_INVALIDO",
    );
}

#[test]
fn the_access_matrix() {
    let app = start();
    let e = employer_with_certified_developer(&app);
    certify(&app, DESARROLLADOR_2, "SISTEMAS DE NOMINA DEMO SC");
    let no_caso = relate(&app, &e, DESARROLLADOR, 60);
    let hoy = today(&app);
    let r = publish(&app, PATRON, &datos::spread(20, hoy, 10));
    assert_eq!(r.status, 201, "{}", r.text());
    let dev = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let dev2 = login(&app, &Signer::demo(DESARROLLADOR_2), "desarrollador");
    let ok = |token: &str, password: &str| {
        let r = consult_patron(&app, token, password);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json::<Value>()["total"], 20);
    };

    // Certified + vigente + current password: 200.
    ok(&dev, &e.password);
    // Certified, no relation.
    assert_error(
        &consult_patron(&app, &dev2, &e.password),
        403,
        "RELACION_INEXISTENTE",
    );
    // Not certified at all (a payroll developer nobody registered).
    let stranger = login(&app, &Signer::demo(PATRON_FISICA), "desarrollador");
    assert_error(
        &consult_patron(&app, &stranger, &e.password),
        403,
        "DESARROLLADOR_NO_CERTIFICADO",
    );

    // Regenerating the password keeps the relation; only the new password works from now on.
    let regenerated = new_password(&app, &e.signer, &e.token);
    assert_error(
        &consult_patron(&app, &dev, &e.password),
        403,
        "CONTRASENA_REGENERADA",
    );
    ok(&dev, &regenerated);
    // A cancelled password: nobody can consult.
    let act = prepare(&app, &e.signer, "CANCELAR_CONTRASENA", None, &[]);
    let r = send_act_as(
        &app,
        "/api/v1/contrasena-servicio/cancelacion",
        &act,
        &e.token,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &consult_patron(&app, &dev, &regenerated),
        403,
        "CONTRASENA_CANCELADA",
    );
    let e = Employer {
        password: new_password(&app, &e.signer, &e.token),
        ..e
    };
    ok(&dev, &e.password);

    // The developer's certification cancelled: refused at once, whatever the relation says.
    let no_caso_2 = relate(&app, &e, DESARROLLADOR_2, 60);
    ok(&dev2, &e.password);
    let r = register_developer(
        &app,
        DESARROLLADOR_2,
        "SISTEMAS DE NOMINA DEMO SC",
        "cancelada",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &consult_patron(&app, &dev2, &e.password),
        403,
        "CERTIFICACION_CANCELADA",
    );
    assert!(!no_caso_2.is_empty());

    // The employer cancels the relation: the very next request is refused.
    let r = cancel_relation(&app, &e, &no_caso);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &consult_patron(&app, &dev, &e.password),
        403,
        "RELACION_CANCELADA",
    );

    // Every refusal past the request's shape is in the employer's audit.
    let a = audit(&app, &e.token, "?por_pagina=100");
    let results: Vec<&str> = a["registros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resultado"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "RELACION_CANCELADA",
            "CERTIFICACION_CANCELADA",
            "CONSULTA_EXITOSA",
            "CONSULTA_EXITOSA",
            "CONTRASENA_CANCELADA",
            "CONSULTA_EXITOSA",
            "CONTRASENA_REGENERADA",
            "DESARROLLADOR_NO_CERTIFICADO",
            "RELACION_INEXISTENTE",
            "CONSULTA_EXITOSA",
        ]
    );
}

#[test]
fn expiry_follows_the_clock() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock));
    let e = employer_with_certified_developer(&app);
    relate(&app, &e, DESARROLLADOR, 1);
    let hoy = today(&app);
    assert_eq!(publish(&app, PATRON, &datos::spread(5, hoy, 3)).status, 201);
    let dev = Signer::demo(DESARROLLADOR);
    let token = login(&app, &dev, "desarrollador");
    assert_eq!(consult_patron(&app, &token, &e.password).status, 200);

    // The last day of the vigencia still works; the day after does not.
    clock.advance(Duration::from_secs(24 * 3600));
    let token = login(&app, &dev, "desarrollador");
    assert_eq!(consult_patron(&app, &token, &e.password).status, 200);
    clock.advance(Duration::from_secs(24 * 3600));
    let token = login(&app, &dev, "desarrollador");
    assert_error(
        &consult_patron(&app, &token, &e.password),
        403,
        "RELACION_NO_VIGENTE",
    );
}

#[test]
fn wrong_passwords_are_throttled_per_developer_and_employer() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock));
    let e = employer_with_certified_developer(&app);
    certify(&app, DESARROLLADOR_2, "SISTEMAS DE NOMINA DEMO SC");
    relate(&app, &e, DESARROLLADOR, 60);
    relate(&app, &e, DESARROLLADOR_2, 60);
    let dev = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let dev2 = login(&app, &Signer::demo(DESARROLLADOR_2), "desarrollador");

    // A correct password before the failures does not buy extra attempts.
    assert_eq!(consult_patron(&app, &dev, &e.password).status, 200);
    for _ in 0..5 {
        assert_error(
            &consult_patron(&app, &dev, "otra-cosa"),
            403,
            "CONTRASENA_INCORRECTA",
        );
    }
    let r = consult_patron(&app, &dev, "otra-cosa");
    assert_error(&r, 429, "INTENTOS_EXCEDIDOS");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Locked even with the right password; the other developer is not affected, and its
    // success clears nothing for the first one.
    assert_error(
        &consult_patron(&app, &dev, &e.password),
        429,
        "INTENTOS_EXCEDIDOS",
    );
    assert_eq!(consult_patron(&app, &dev2, &e.password).status, 200);
    assert_error(
        &consult_patron(&app, &dev, &e.password),
        429,
        "INTENTOS_EXCEDIDOS",
    );
    // After Retry-After, the developer may try again.
    clock.advance(Duration::from_secs(retry));
    let dev = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    assert_eq!(consult_patron(&app, &dev, &e.password).status, 200);
    let a = audit(&app, &e.token, "?por_pagina=100");
    // The lock's refusals checked no password: one record that counts them (issue 15).
    let locked: Vec<u64> = a["registros"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resultado"] == "INTENTOS_EXCEDIDOS")
        .map(|r| r["veces"].as_u64().unwrap())
        .collect();
    assert_eq!(locked, [3]);
}

#[test]
fn publication_refusals() {
    let app = start();
    let analyst = Signer::demo(ANALISTA);
    let token = login(&app, &analyst, "analista");
    let hoy = today(&app);
    let rows = datos::spread(3, hoy, 3);
    let raw = serde_json::to_string(&rows).unwrap();
    let send = |body: Vec<u8>, token: &str| {
        app.send(
            TestRequest::post(PUBLICAR)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(body),
        )
    };
    // The signed hash must be that of the bytes sent: re-spacing the array breaks it.
    let mut body = publication_body(&app, &analyst, PATRON, &raw, 3);
    let text = String::from_utf8(body.clone()).unwrap();
    body = text
        .replacen("\"avisos\": [", "\"avisos\": [ ", 1)
        .into_bytes();
    assert_error(&send(body, &token), 400, "AVISOS_SHA256_NO_COINCIDE");
    assert_error(
        &send(publication_body(&app, &analyst, PATRON, &raw, 4), &token),
        400,
        "AVISOS_TOTAL_NO_COINCIDE",
    );
    // Every row bad: 422 with the errors, nothing published.
    let mut bad = rows.clone();
    for r in &mut bad {
        r["tipo_aviso"] = json!("99");
    }
    let raw_bad = serde_json::to_string(&bad).unwrap();
    let r = send(
        publication_body(&app, &analyst, PATRON, &raw_bad, 3),
        &token,
    );
    assert_error(&r, 422, "AVISOS_INVALIDOS");
    let v: Value = r.json();
    assert_eq!(v["rechazados"], 3);
    assert_eq!(v["errores"][2]["indice"], 2);
    assert_eq!(v["errores"][2]["campo"], "tipo_aviso");
    // Only analysts publish.
    let patron = Signer::demo(PATRON);
    let patron_token = login(&app, &patron, "patron");
    assert_error(
        &send(
            publication_body(&app, &analyst, PATRON, &raw, 3),
            &patron_token,
        ),
        403,
        "ROL_NO_PERMITIDO",
    );
    // Over the 8 MiB limit: refused on the announced length, before a byte of the body is read
    // (raw HTTP: the client sends the headers only and still gets its answer).
    let mut tcp = std::net::TcpStream::connect(app.addr()).unwrap();
    write!(
        tcp,
        "POST {PUBLICAR} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        8 * 1024 * 1024 + 1
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("CUERPO_DEMASIADO_GRANDE"), "{answer}");
    // And a good one still works afterwards.
    let r = send(publication_body(&app, &analyst, PATRON, &raw, 3), &token);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json::<Value>()["nuevos"], 3);
}

// ------------------------------------------------------------------------------------------
// Relations belong to the certification they were granted under (issue 15, item 7).

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A signed act of the developer's certification `folio` (acceptance, cancellation).
fn certification_act(
    app: &TestApp,
    dev: &Signer,
    token: &str,
    accion: &str,
    terms: &str,
    folio: &str,
    path: &str,
) -> TestResponse {
    let act = prepare(app, dev, accion, Some(terms), &[("folio", folio)]);
    send_act_as(
        app,
        &format!("/api/v1/certificaciones/{folio}/{path}"),
        &act,
        token,
    )
}

/// The whole certification workflow of seed 002 for `dev`, as the developer and the analyst do
/// it over HTTP (request, the test set's correct evidence, approval, the developer's signature
/// of the approval): the folio of the request, now «Certificación autorizada».
fn certify_through_the_workflow(app: &TestApp, dev: &Signer, token: &str) -> String {
    use avisos_kv::KeyValue;
    let act = prepare(
        app,
        dev,
        "SOLICITAR_CERTIFICACION",
        Some("certificacion-solicitud"),
        &[
            ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
            ("correo", "certificacion@nominas-demo.mx"),
        ],
    );
    let r = send_act_as(app, "/api/v1/certificaciones", &act, token);
    assert_eq!(r.status, 201, "{}", r.text());
    let folio = r.json::<Value>()["folio"].as_str().unwrap().to_string();
    // The round's test set, as the service generated it (its seed is the server's).
    let raw = host_kv_of(app)
        .get(&format!("certificacion:{folio}"))
        .unwrap()
        .expect("the request's record");
    let record: Value = serde_json::from_slice(&raw).unwrap();
    let ronda = record["rondas"].as_array().unwrap().last().unwrap().clone();
    let set = avisos_evidence::generate(&avisos_evidence::TestSetId {
        semilla: ronda["semilla"].as_u64().unwrap(),
        folio: folio.clone(),
        ronda: ronda["ronda"].as_u64().unwrap() as u32,
        fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
    });
    let workbook = avisos_evidence::sample::workbook_xlsx(
        &set,
        &avisos_evidence::sample::SampleOptions::default(),
    );
    let r = app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", XLSX)
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(workbook),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let analyst = Signer::demo(ANALISTA);
    let atoken = login(app, &analyst, "analista");
    let act = prepare(
        app,
        &analyst,
        "DICTAMINAR_CERTIFICACION",
        None,
        &[
            ("folio", &folio),
            ("resultado", "aprobar"),
            ("observaciones", ""),
        ],
    );
    let r = send_act_as(
        app,
        &format!("/api/v1/analistas/certificaciones/{folio}/dictamen"),
        &act,
        &atoken,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = certification_act(
        app,
        dev,
        token,
        "ACEPTAR_APROBACION",
        "certificacion-aprobacion",
        &folio,
        "aceptacion",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json::<Value>()["certificacion"]["estatus"],
        "Certificación autorizada"
    );
    folio
}

/// The row of `no_caso` in the table of the session `token`.
fn table_row(app: &TestApp, token: &str, no_caso: &str) -> Value {
    let r = get_with(app, "/api/v1/relaciones", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["relaciones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["no_caso"] == no_caso)
        .cloned()
        .unwrap_or_else(|| panic!("no row {no_caso}"))
}

#[test]
fn a_developer_certified_again_needs_new_relations() {
    let app = start();
    let e = employer(&app, PATRON);
    let signer = Signer::demo(DESARROLLADOR);
    let dev = login(&app, &signer, "desarrollador");
    let folio = certify_through_the_workflow(&app, &signer, &dev);
    let first = relate(&app, &e, DESARROLLADOR, 60);
    let r = publish(&app, PATRON, &datos::spread(5, today(&app), 3));
    assert_eq!(r.status, 201, "{}", r.text());
    let r = consult_patron(&app, &dev, &e.password);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["no_caso"], first.as_str());
    assert_eq!(
        table_row(&app, &e.token, &first)["estatus"],
        "Relación Vigente"
    );

    // The developer cancels its certification: refused, and the employer's table says why.
    let r = certification_act(
        &app,
        &signer,
        &dev,
        "CANCELAR_CERTIFICACION",
        "certificacion-cancelacion",
        &folio,
        "cancelacion",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &consult_patron(&app, &dev, &e.password),
        403,
        "CERTIFICACION_CANCELADA",
    );
    let row = table_row(&app, &e.token, &first);
    assert_eq!(row["estatus"], "Relación no vigente");
    assert_eq!(row["motivo"]["codigo"], "CERTIFICACION_CANCELADA");

    // Certified again through a new request: the old relation grants nothing, with a code and
    // a message that say why and what to do; the employer's password is unchanged.
    let second_folio = certify_through_the_workflow(&app, &signer, &dev);
    assert_ne!(second_folio, folio);
    let r = consult_patron(&app, &dev, &e.password);
    assert_error(&r, 403, "RELACION_NO_VIGENTE");
    let mensaje = r.json::<Value>()["mensaje"].as_str().unwrap().to_string();
    assert!(
        mensaje.contains(&first) && mensaje.contains("debe registrar una nueva relación"),
        "{mensaje}"
    );
    let row = table_row(&app, &e.token, &first);
    assert_eq!(row["estatus"], "Relación no vigente");
    assert_eq!(row["motivo"]["codigo"], "CERTIFICACION_CANCELADA");
    assert!(
        row["motivo"]["texto"]
            .as_str()
            .unwrap()
            .contains("La certificación del desarrollador con la que se otorgó fue cancelada"),
        "{row}"
    );
    assert_eq!(row["cancelable"], true);
    assert!(row["fecha_cancelacion_anticipada"].is_null());
    // The developer's read-only view says the same.
    let mine = table_row(&app, &dev, &first);
    assert_eq!(mine["estatus"], "Relación no vigente");
    assert_eq!(mine["motivo"]["codigo"], "CERTIFICACION_CANCELADA");

    // The employer registers the relation again (the old one does not count as a duplicate):
    // consultations work through the new one.
    let second = relate(&app, &e, DESARROLLADOR, 30);
    let r = consult_patron(&app, &dev, &e.password);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["no_caso"], second.as_str());
    assert_eq!(
        table_row(&app, &e.token, &second)["estatus"],
        "Relación Vigente"
    );
    assert!(table_row(&app, &e.token, &second)["motivo"].is_null());
    // «Borrar» on the old one still works, and leaves the new one alone.
    let r = cancel_relation(&app, &e, &first);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        table_row(&app, &e.token, &first)["estatus"],
        "Relación cancelada por usuario"
    );
    assert_eq!(consult_patron(&app, &dev, &e.password).status, 200);
}

/// Issue 18: the store round trips of each request (a batched read is one), as BENCHMARKS.md
/// lists them (`cargo test -p avisos-e2e --test avisos round_trips -- --nocapture` prints
/// them); the bounds keep them from growing unnoticed.
#[test]
fn store_round_trips_per_request() {
    let faults = avisos_host::kv::Faults::new();
    // From the start of a limit window: no request opens a new one (which registers its expiry).
    let app = TestApp::start(app_options().faults(&faults).clock(&midday_clock()).quiet());
    let e = employer_with_certified_developer(&app);
    let d = today(&app) - chrono::Days::new(20);
    let rows: Vec<Value> = (1..=150).map(|i| datos::row(i, d)).collect();
    assert_eq!(publish(&app, PATRON, &rows).status, 201);
    let dev_token = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let mut counted: Vec<(&str, i64)> = Vec::new();
    let mut count = |label: &'static str, expect: u16, send: &dyn Fn() -> TestResponse| {
        faults.heal();
        let r = send();
        assert_eq!(r.status, expect, "{label}: {}", r.text());
        counted.push((label, faults.operations()));
    };
    let login_act = prepare(&app, &e.signer, "INICIO_SESION", None, &[("rol", "patron")]);
    count("POST /api/v1/sesiones (login)", 201, &|| {
        send_act(&app, "/api/v1/sesiones", &login_act)
    });
    let hoy = today(&app);
    let mut add = prepare(
        &app,
        &e.signer,
        "ADICIONAR_RELACION",
        Some(TERMS),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", DESARROLLADOR),
            ("inicio_vigencia", &hoy.to_string()),
            ("fin_vigencia", &(hoy + chrono::Days::new(30)).to_string()),
        ],
    );
    add.body.insert("contrasena".into(), json!(e.password));
    count("POST /api/v1/relaciones (add a relation)", 201, &|| {
        send_act_as(&app, "/api/v1/relaciones", &add, &e.token)
    });
    count("GET /api/v1/salud", 200, &|| app.get("/api/v1/salud"));
    count("GET /api/v1/sesiones/actual", 200, &|| {
        get_with(&app, "/api/v1/sesiones/actual", &e.token)
    });
    count("GET /api/v1/relaciones?por_pagina=100", 200, &|| {
        get_with(&app, "/api/v1/relaciones?por_pagina=100", &e.token)
    });
    count("GET /api/v1/desarrolladores?q=nomina", 200, &|| {
        get_with(&app, "/api/v1/desarrolladores?q=nomina", &e.token)
    });
    count("POST /api/v1/avisos/consultas (page of 100)", 200, &|| {
        consult(&app, &dev_token, ask(PATRON, &e.password, json!({})))
    });
    count(
        "POST /api/v1/avisos/consultas (cursor, 100 changes)",
        200,
        &|| {
            consult(
                &app,
                &dev_token,
                ask(PATRON, &e.password, json!({"cursor": "inicio"})),
            )
        },
    );
    let ten = vec![ask(PATRON, &e.password, json!({"cursor": "inicio"})); 10];
    count(
        "POST /api/v1/avisos/consultas/lote (10 × cursor)",
        200,
        &|| {
            app.send(
                TestRequest::post("/api/v1/avisos/consultas/lote")
                    .header("authorization", format!("Bearer {dev_token}"))
                    .json(&json!({ "consultas": ten })),
            )
        },
    );
    count("GET /api/v1/avisos/bitacora", 200, &|| {
        get_with(&app, BITACORA, &e.token)
    });
    for (label, n) in &counted {
        eprintln!("{label:<52} {n:>3}");
    }
    let of = |label: &str| counted.iter().find(|(l, _)| *l == label).map(|(_, n)| *n);
    assert_eq!(
        of("GET /api/v1/salud"),
        Some(1),
        "the plain probe only reads"
    );
    // Measured (2026-12-03) plus a small margin. The host counts Spin's operations: a
    // compare-and-swap is four (new, current, swap, the read-back of CheckedKv).
    let bounds = [
        ("POST /api/v1/sesiones (login)", 7 + 2),
        ("POST /api/v1/relaciones (add a relation)", 41 + 4),
        ("GET /api/v1/sesiones/actual", 1 + 1),
        ("GET /api/v1/relaciones?por_pagina=100", 12 + 2),
        ("GET /api/v1/desarrolladores?q=nomina", 8 + 2),
        ("POST /api/v1/avisos/consultas (page of 100)", 17 + 3),
        (
            "POST /api/v1/avisos/consultas (cursor, 100 changes)",
            14 + 2,
        ),
        ("POST /api/v1/avisos/consultas/lote (10 × cursor)", 122 + 10),
        ("GET /api/v1/avisos/bitacora", 8 + 2),
    ];
    for (label, bound) in bounds {
        let n = of(label).unwrap_or(i64::MAX);
        assert!(n <= bound, "{label}: {n} round trips (at most {bound})");
    }
}
