//! Issue 5 end to end: relaciones de confianza (seed 000) over HTTP, against the real components
//! on the host, with a client that signs like an integrator.

use std::time::{Duration, Instant};

use avisos_e2e::*;
use avisos_host::TestClock;
use avisos_host::testing::{TestApp, TestRequest, TestResponse};
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::{Value, json};

const TERMS: &str = "relaciones-de-confianza";
const NAME_DEV: &str = "NOMINAS DEMOSTRACION SA DE CV";
const NAME_DEV_2: &str = "SISTEMAS DE NOMINA DEMO SC";
const GUIDE_COLUMNS: [&str; 10] = [
    "No. de Caso",
    "RFC",
    "Razón social",
    "Servicios de Intercomunicación",
    "Fecha inicio vigencia",
    "Fin de vigencia",
    "Fecha cancelación anticipada",
    "Estatus",
    "Acuse",
    "Cancelación",
];

/// An employer with a session and its service password.
struct Employer {
    signer: Signer,
    token: String,
    password: String,
}

fn register_developer(app: &TestApp, rfc: &str, name: &str, estatus: &str) -> TestResponse {
    let analyst = Signer::demo(ANALISTA);
    let token = login(app, &analyst, "analista");
    let act = prepare(
        app,
        &analyst,
        "REGISTRAR_DESARROLLADOR",
        None,
        &[
            ("rfc_desarrollador", rfc),
            ("razon_social", name),
            ("estatus", estatus),
        ],
    );
    send_act_as(app, "/api/v1/desarrolladores/registro", &act, &token)
}

fn certify(app: &TestApp, rfc: &str, name: &str) {
    let r = register_developer(app, rfc, name, "autorizada");
    assert_eq!(r.status, 201, "{}", r.text());
}

fn generate_password(app: &TestApp, signer: &Signer, token: &str) -> Value {
    let act = prepare(app, signer, "GENERAR_CONTRASENA", None, &[]);
    let r = send_act_as(app, "/api/v1/contrasena-servicio", &act, token);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn employer(app: &TestApp, rfc: &str) -> Employer {
    let signer = Signer::demo(rfc);
    let token = login(app, &signer, "patron");
    let password = generate_password(app, &signer, &token)["contrasena"]
        .as_str()
        .unwrap()
        .to_string();
    Employer {
        signer,
        token,
        password,
    }
}

/// The two demo developers certified, the demo employer with its password.
fn world(app: &TestApp) -> Employer {
    certify(app, DESARROLLADOR, NAME_DEV);
    certify(app, DESARROLLADOR_2, NAME_DEV_2);
    employer(app, PATRON)
}

fn add_act(app: &TestApp, e: &Employer, dev: &str, inicio: &str, fin: &str) -> Act {
    let mut act = prepare(
        app,
        &e.signer,
        "ADICIONAR_RELACION",
        Some(TERMS),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", dev),
            ("inicio_vigencia", inicio),
            ("fin_vigencia", fin),
        ],
    );
    act.body.insert("contrasena".into(), json!(e.password));
    act
}

fn add(app: &TestApp, e: &Employer, dev: &str, fin: &str) -> TestResponse {
    let hoy = table(app, &e.token)["hoy"].as_str().unwrap().to_string();
    let act = add_act(app, e, dev, &hoy, fin);
    send_act_as(app, "/api/v1/relaciones", &act, &e.token)
}

fn cancel(app: &TestApp, signer: &Signer, token: &str, no_caso: &str) -> TestResponse {
    let act = prepare(
        app,
        signer,
        "CANCELAR_RELACION",
        None,
        &[("no_caso", no_caso)],
    );
    send_act_as(
        app,
        &format!("/api/v1/relaciones/{no_caso}/cancelacion"),
        &act,
        token,
    )
}

fn table(app: &TestApp, token: &str) -> Value {
    let r = get_with(app, "/api/v1/relaciones", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

fn sheet(bytes: &[u8]) -> calamine::Range<Data> {
    assert!(is_xlsx(bytes), "not an xlsx");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx opens");
    assert_eq!(book.sheet_names(), ["Relaciones de confianza"]);
    book.worksheet_range("Relaciones de confianza").unwrap()
}

fn date_cell(range: &calamine::Range<Data>, row: usize, col: usize) -> NaiveDate {
    match range.get((row, col)) {
        Some(Data::DateTime(d)) => d.as_datetime().unwrap().date(),
        other => panic!("({row},{col}) is not a date cell: {other:?}"),
    }
}

fn text_cell(range: &calamine::Range<Data>, row: usize, col: usize) -> String {
    range
        .get((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn export(app: &TestApp, token: &str) -> TestResponse {
    let r = get_with(app, "/api/v1/relaciones/exportacion", token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    r
}

fn guide_date(d: &str) -> String {
    let d: NaiveDate = d.parse().unwrap();
    avisos_acts::pdf::fecha_guia(d)
}

#[test]
fn the_guide_step_by_step() {
    let app = start();
    // Until the certification issue lands, an analyst registers the certified developers.
    let r = register_developer(&app, DESARROLLADOR, NAME_DEV, "autorizada");
    assert_eq!(r.status, 201, "{}", r.text());
    let analyst_token = login(&app, &Signer::demo(ANALISTA), "analista");
    let folio = r.json::<Value>()["folio"].as_str().unwrap().to_string();
    let acuse = get_with(&app, &format!("/api/v1/acuses/{folio}"), &analyst_token);
    assert!(pdf_text(&acuse.body).contains("Registro de Desarrollador Certificado"));
    certify(&app, DESARROLLADOR_2, NAME_DEV_2);

    // The employer logs in with its e.firma.
    let patron = Signer::demo(PATRON);
    let token = login(&app, &patron, "patron");

    // Tab «Generación de contraseña»: generated by the service and shown once.
    let status: Value = get_with(&app, "/api/v1/contrasena-servicio", &token).json();
    assert_eq!(status["estado"], "sin_generar");
    let generated = generate_password(&app, &patron, &token);
    let password = generated["contrasena"].as_str().unwrap().to_string();
    assert_eq!(password.len(), 23, "{password}");
    assert_eq!(password.split('-').count(), 4);
    // The alphabet openapi.yaml documents: no 0 O o 1 I l.
    let alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    assert!(
        password
            .split('-')
            .all(|g| g.len() == 5 && g.chars().all(|c| alphabet.contains(c))),
        "{password}"
    );
    let status = get_with(&app, "/api/v1/contrasena-servicio", &token);
    assert!(!status.text().contains(&password[..5]));
    let status: Value = status.json();
    assert_eq!(
        (status["estado"].as_str(), status["generacion"].as_u64()),
        (Some("activa"), Some(1))
    );
    let pw_acuse = get_with(
        &app,
        &format!(
            "/api/v1/acuses/{}?formato=json",
            generated["folio"].as_str().unwrap()
        ),
        &token,
    );
    assert_eq!(pw_acuse.status, 200);
    assert!(!pw_acuse.text().contains(&password.replace('-', "")));

    // Tab «Relaciones de confianza»: read the terms, tick «He leído y acepto…», Continuar.
    let terms: Value = app.get(&format!("/api/v1/terminos/{TERMS}")).json();
    assert!(
        terms["texto"]
            .as_str()
            .unwrap()
            .contains("Relación de confianza")
    );
    let act = prepare(&app, &patron, "ACEPTACION_TERMINOS", Some(TERMS), &[]);
    let r = send_act(
        &app,
        &format!("/api/v1/terminos/{TERMS}/aceptaciones"),
        &act,
    );
    assert_eq!(r.status, 201, "{}", r.text());

    // The screen: an empty table with the guide's columns, and the form's choices.
    let t = table(&app, &token);
    assert_eq!(t["columnas"], json!(GUIDE_COLUMNS));
    assert_eq!(t["relaciones"], json!([]));
    assert_eq!(t["servicios"], json!(["Avisos"]));
    let hoy = t["hoy"].as_str().unwrap().to_string();
    let opciones = t["vigencias"]["opciones"].as_array().unwrap();
    let meses: Vec<u64> = opciones
        .iter()
        .map(|o| o["meses"].as_u64().unwrap())
        .collect();
    assert_eq!(meses, [3, 6, 12, 24]);
    let fin = opciones[2]["fin_vigencia"].as_str().unwrap().to_string();
    assert_eq!(t["vigencias"]["inicio_vigencia"], hoy.as_str());

    // «Adicionar relación»: the developer by RFC or by name, from the directory.
    let by_rfc: Value = get_with(&app, "/api/v1/desarrolladores?q=nde19", &token).json();
    assert_eq!(by_rfc["resultados"][0]["rfc"], DESARROLLADOR);
    let by_name: Value = get_with(
        &app,
        "/api/v1/desarrolladores?q=N%C3%B3minas%20demos",
        &token,
    )
    .json();
    assert_eq!(by_name["resultados"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["resultados"][0]["razon_social"], NAME_DEV);
    assert_eq!(
        by_name["resultados"][0]["estatus"],
        "Certificación autorizada"
    );

    // Aceptar → e.firma (Validar) → the terms again → Continuar: one signed act.
    let act = add_act(
        &app,
        &Employer {
            signer: Signer::demo(PATRON),
            token: token.clone(),
            password: password.clone(),
        },
        DESARROLLADOR,
        &hoy,
        &fin,
    );
    assert!(
        !act.cadena.contains(&password),
        "the password is not signed"
    );
    let r = send_act_as(&app, "/api/v1/relaciones", &act, &token);
    assert_eq!(r.status, 201, "{}", r.text());
    let added: Value = r.json();
    let no_caso = added["folio"].as_str().unwrap().to_string();
    assert_eq!(no_caso.len(), 10);
    assert_eq!(added["relacion"]["no_caso"], no_caso.as_str());

    // The acuse «Registro de Relaciones de Confianza»: fecha, hora, folio, RFC, razón social.
    let pdf = get_with(&app, &format!("/api/v1/acuses/{no_caso}"), &token);
    assert_eq!(pdf.status, 200);
    let text = pdf_text(&pdf.body);
    for needle in [
        "Registro de Relaciones de Confianza",
        "Fecha: ",
        "Hora: ",
        &format!("Folio: {no_caso}"),
        "RFC: EDE200101AB0",
        "EMPRESA DEMOSTRACION SA DE CV",
        NAME_DEV,
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }

    // Back in the tab: the table with the relation, dates as the guide shows them.
    let t = table(&app, &token);
    let rows = t["relaciones"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["no_caso"], no_caso.as_str());
    assert_eq!(row["rfc"], DESARROLLADOR);
    assert_eq!(row["razon_social"], NAME_DEV);
    assert_eq!(row["servicio"], "Avisos");
    assert_eq!(row["fecha_inicio_vigencia"], hoy.as_str());
    assert_eq!(row["fin_vigencia"], fin.as_str());
    assert_eq!(row["fecha_cancelacion_anticipada"], Value::Null);
    assert_eq!(row["estatus"], "Relación Vigente");
    assert_eq!(row["texto"]["fecha_inicio_vigencia"], guide_date(&hoy));
    assert_eq!(row["texto"]["fin_vigencia"], guide_date(&fin));
    assert_eq!(row["acuse"], format!("/api/v1/acuses/{no_caso}"));
    assert_eq!(row["cancelable"], true);

    // «Exportar tabla».
    let x = export(&app, &token);
    assert!(
        x.header("content-disposition")
            .unwrap()
            .contains(&format!("relaciones-{PATRON}-{hoy}.xlsx"))
    );
    let range = sheet(&x.body);
    assert_eq!(range.get_size(), (2, 10));
    let header: Vec<String> = (0..10).map(|c| text_cell(&range, 0, c)).collect();
    assert_eq!(header, GUIDE_COLUMNS);
    assert_eq!(text_cell(&range, 1, 0), no_caso);
    assert_eq!(text_cell(&range, 1, 1), DESARROLLADOR);
    assert_eq!(text_cell(&range, 1, 2), NAME_DEV);
    assert_eq!(text_cell(&range, 1, 3), "Avisos");
    assert_eq!(date_cell(&range, 1, 4), hoy.parse::<NaiveDate>().unwrap());
    assert_eq!(date_cell(&range, 1, 5), fin.parse::<NaiveDate>().unwrap());
    assert_eq!(range.get((1, 6)), Some(&Data::Empty));
    assert_eq!(text_cell(&range, 1, 7), "Relación Vigente");
    assert_eq!(text_cell(&range, 1, 8), no_caso);

    // The developer sees the relation granted to it, read-only.
    let dev_token = login(&app, &Signer::demo(DESARROLLADOR), "desarrollador");
    let dt = table(&app, &dev_token);
    assert_eq!(dt["vigencias"], Value::Null);
    let drow = &dt["relaciones"][0];
    assert_eq!(drow["rfc"], PATRON);
    assert_eq!(drow["razon_social"], "EMPRESA DEMOSTRACION SA DE CV");
    assert_eq!(
        (drow["acuse"].clone(), drow["cancelable"].clone()),
        (Value::Null, json!(false))
    );
    assert_error(
        &get_with(&app, &format!("/api/v1/acuses/{no_caso}"), &dev_token),
        404,
        "ACUSE_NO_ENCONTRADO",
    );
    let dev_sheet = sheet(&export(&app, &dev_token).body);
    assert_eq!(text_cell(&dev_sheet, 1, 1), PATRON);

    // Cancelación: «Borrar» → confirmation → e.firma → «Solicitud de trámite» with its acuse.
    let r = cancel(&app, &patron, &token, &no_caso);
    assert_eq!(r.status, 201, "{}", r.text());
    let cancelled: Value = r.json();
    let cancel_folio = cancelled["folio"].as_str().unwrap().to_string();
    assert_ne!(cancel_folio, no_caso);
    let text = pdf_text(&get_with(&app, &format!("/api/v1/acuses/{cancel_folio}"), &token).body);
    assert!(text.contains(&format!("Folio: {cancel_folio}")), "{text}");
    assert!(text.contains(&no_caso), "{text}");

    // The table shows it cancelled today, with both acuses to download and no «Borrar».
    let row = table(&app, &token)["relaciones"][0].clone();
    assert_eq!(row["estatus"], "Relación cancelada por usuario");
    assert_eq!(row["fecha_cancelacion_anticipada"], hoy.as_str());
    assert_eq!(
        row["texto"]["fecha_cancelacion_anticipada"],
        guide_date(&hoy)
    );
    assert_eq!(
        row["acuse_cancelacion"],
        format!("/api/v1/acuses/{cancel_folio}")
    );
    assert_eq!(row["cancelable"], false);
    let range = sheet(&export(&app, &token).body);
    assert_eq!(text_cell(&range, 1, 7), "Relación cancelada por usuario");
    assert_eq!(date_cell(&range, 1, 6), hoy.parse::<NaiveDate>().unwrap());
    assert_eq!(text_cell(&range, 1, 9), cancel_folio);
    // The developer's view follows.
    assert_eq!(
        table(&app, &dev_token)["relaciones"][0]["estatus"],
        "Relación cancelada por usuario"
    );
}

#[test]
fn every_refusal_has_its_code() {
    let app = start();
    let e = world(&app);
    let hoy = table(&app, &e.token)["hoy"].as_str().unwrap().to_string();
    let hoy_d: NaiveDate = hoy.parse().unwrap();
    let in_a_year = (hoy_d + chrono::Days::new(365)).to_string();

    // Uncertified developer: never registered, or its certification cancelled.
    assert_error(
        &add(&app, &e, "PME380607P35", &in_a_year),
        409,
        "DESARROLLADOR_NO_CERTIFICADO",
    );
    let r = register_developer(&app, DESARROLLADOR_2, NAME_DEV_2, "cancelada");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &add(&app, &e, DESARROLLADOR_2, &in_a_year),
        409,
        "DESARROLLADOR_NO_CERTIFICADO",
    );
    let search: Value = get_with(&app, "/api/v1/desarrolladores?q=sistemas", &e.token).json();
    assert_eq!(
        search["resultados"],
        json!([]),
        "a cancelled developer is not listed"
    );
    assert_error(
        &get_with(&app, "/api/v1/desarrolladores?q=s", &e.token),
        400,
        "BUSQUEDA_CORTA",
    );

    // Wrong service password.
    let wrong = Employer {
        signer: Signer::demo(PATRON),
        token: e.token.clone(),
        password: "AAAAA-BBBBB-CCCCC-DDDDD".into(),
    };
    assert_error(
        &add(&app, &wrong, DESARROLLADOR, &in_a_year),
        403,
        "CONTRASENA_INCORRECTA",
    );
    // Password missing from the body.
    let mut act = add_act(&app, &e, DESARROLLADOR, &hoy, &in_a_year);
    act.body.remove("contrasena");
    assert_error(
        &send_act_as(&app, "/api/v1/relaciones", &act, &e.token),
        400,
        "CONTRASENA_FALTANTE",
    );

    // Vigencia: past end, beyond the maximum, start not today, bad date.
    let yesterday = (hoy_d - chrono::Days::new(1)).to_string();
    assert_error(
        &add(&app, &e, DESARROLLADOR, &yesterday),
        400,
        "VIGENCIA_FIN_PASADA",
    );
    let too_far = (hoy_d + chrono::Months::new(24) + chrono::Days::new(1)).to_string();
    assert_error(
        &add(&app, &e, DESARROLLADOR, &too_far),
        400,
        "VIGENCIA_EXCEDE_MAXIMO",
    );
    let act = add_act(&app, &e, DESARROLLADOR, &yesterday, &in_a_year);
    assert_error(
        &send_act_as(&app, "/api/v1/relaciones", &act, &e.token),
        400,
        "VIGENCIA_INICIO_INVALIDA",
    );
    assert_error(
        &add(&app, &e, DESARROLLADOR, "31/12/2027"),
        400,
        "FECHA_VIGENCIA_INVALIDA",
    );

    // Data changed after signing.
    let mut act = add_act(&app, &e, DESARROLLADOR, &hoy, &in_a_year);
    act.body["datos"]["fin_vigencia"] = json!((hoy_d + chrono::Days::new(30)).to_string());
    assert_error(
        &send_act_as(&app, "/api/v1/relaciones", &act, &e.token),
        403,
        "EFIRMA_FIRMA_INVALIDA",
    );

    // The first valid one goes through; a second one is a duplicate.
    let r = add(&app, &e, DESARROLLADOR, &in_a_year);
    assert_eq!(r.status, 201, "{}", r.text());
    let no_caso = r.json::<Value>()["folio"].as_str().unwrap().to_string();
    assert_error(
        &add(&app, &e, DESARROLLADOR, &in_a_year),
        409,
        "RELACION_DUPLICADA",
    );

    // Another employer can neither cancel it nor see it.
    let other = Signer::demo(PATRON_FISICA);
    let other_token = login(&app, &other, "patron");
    assert_error(
        &cancel(&app, &other, &other_token, &no_caso),
        404,
        "RELACION_NO_ENCONTRADA",
    );
    assert_eq!(table(&app, &other_token)["relaciones"], json!([]));
    // An employer without a password cannot add.
    let stranger = Employer {
        signer: Signer::demo(PATRON_FISICA),
        token: other_token.clone(),
        password: "AAAAA-BBBBB-CCCCC-DDDDD".into(),
    };
    assert_error(
        &add(&app, &stranger, DESARROLLADOR, &in_a_year),
        409,
        "CONTRASENA_NO_GENERADA",
    );

    // A session of one RFC and a signature of another.
    let act = add_act(&app, &e, DESARROLLADOR, &hoy, &in_a_year);
    assert_error(
        &send_act_as(&app, "/api/v1/relaciones", &act, &other_token),
        403,
        "SESION_NO_COINCIDE",
    );
    // The signed No. de Caso must be the one in the path.
    let act = prepare(
        &app,
        &e.signer,
        "CANCELAR_RELACION",
        None,
        &[("no_caso", "0500000001")],
    );
    assert_error(
        &send_act_as(
            &app,
            &format!("/api/v1/relaciones/{no_caso}/cancelacion"),
            &act,
            &e.token,
        ),
        400,
        "NO_CASO_NO_COINCIDE",
    );

    // Cancelling twice.
    let r = cancel(&app, &e.signer, &e.token, &no_caso);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_error(
        &cancel(&app, &e.signer, &e.token, &no_caso),
        409,
        "RELACION_YA_CANCELADA",
    );

    // Roles: a developer cannot add or generate; only analysts register developers.
    let dev = Signer::demo(DESARROLLADOR);
    let dev_token = login(&app, &dev, "desarrollador");
    let act = prepare(&app, &dev, "GENERAR_CONTRASENA", None, &[]);
    assert_error(
        &send_act_as(&app, "/api/v1/contrasena-servicio", &act, &dev_token),
        403,
        "ROL_NO_PERMITIDO",
    );
    let act = prepare(
        &app,
        &e.signer,
        "REGISTRAR_DESARROLLADOR",
        None,
        &[
            ("rfc_desarrollador", DESARROLLADOR_2),
            ("razon_social", "X"),
            ("estatus", "autorizada"),
        ],
    );
    assert_error(
        &send_act_as(&app, "/api/v1/desarrolladores/registro", &act, &e.token),
        403,
        "ROL_NO_PERMITIDO",
    );

    // No session: every read and every act of the tab.
    for path in [
        "/api/v1/relaciones",
        "/api/v1/relaciones/exportacion",
        "/api/v1/desarrolladores?q=nde",
        "/api/v1/contrasena-servicio",
    ] {
        assert_error(&app.get(path), 401, "SESION_REQUERIDA");
    }
    let act = add_act(&app, &e, DESARROLLADOR, &hoy, &in_a_year);
    assert_error(
        &send_act(&app, "/api/v1/relaciones", &act),
        401,
        "SESION_REQUERIDA",
    );
    let act = prepare(
        &app,
        &e.signer,
        "CANCELAR_RELACION",
        None,
        &[("no_caso", no_caso.as_str())],
    );
    assert_error(
        &send_act(
            &app,
            &format!("/api/v1/relaciones/{no_caso}/cancelacion"),
            &act,
        ),
        401,
        "SESION_REQUERIDA",
    );
    let act = prepare(&app, &e.signer, "GENERAR_CONTRASENA", None, &[]);
    assert_error(
        &send_act(&app, "/api/v1/contrasena-servicio", &act),
        401,
        "SESION_REQUERIDA",
    );
    // Methods.
    assert_error(
        &app.delete("/api/v1/relaciones"),
        405,
        "METODO_NO_PERMITIDO",
    );
    assert_error(
        &app.post("/api/v1/relaciones/exportacion", "{}"),
        405,
        "METODO_NO_PERMITIDO",
    );
}

#[test]
fn regenerating_and_cancelling_the_password() {
    let app = start();
    let mut e = world(&app);
    let hoy = table(&app, &e.token)["hoy"].as_str().unwrap().to_string();
    let fin = (hoy.parse::<NaiveDate>().unwrap() + chrono::Months::new(6)).to_string();
    let r = add(&app, &e, DESARROLLADOR, &fin);
    assert_eq!(r.status, 201, "{}", r.text());

    // Regenerate: the old password stops working at once; the relation stays as it was.
    let old = e.password.clone();
    let second = generate_password(&app, &e.signer, &e.token);
    assert_eq!(second["generacion"], 2);
    assert_error(
        &add(&app, &e, DESARROLLADOR_2, &fin),
        403,
        "CONTRASENA_INCORRECTA",
    );
    e.password = second["contrasena"].as_str().unwrap().to_string();
    assert_ne!(e.password, old);
    assert_eq!(
        table(&app, &e.token)["relaciones"][0]["estatus"],
        "Relación Vigente"
    );
    let r = add(&app, &e, DESARROLLADOR_2, &fin);
    assert_eq!(r.status, 201, "{}", r.text());

    // Cancel: no password works, cancelling again is refused.
    let act = prepare(&app, &e.signer, "CANCELAR_CONTRASENA", None, &[]);
    let r = send_act_as(
        &app,
        "/api/v1/contrasena-servicio/cancelacion",
        &act,
        &e.token,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let folio = r.json::<Value>()["folio"].as_str().unwrap().to_string();
    let text = pdf_text(&get_with(&app, &format!("/api/v1/acuses/{folio}"), &e.token).body);
    assert!(text.contains("Cancelaci"), "{text}");
    let status: Value = get_with(&app, "/api/v1/contrasena-servicio", &e.token).json();
    assert_eq!(status["estado"], "cancelada");
    assert_eq!(status["folio_cancelacion"], folio.as_str());
    let act = prepare(&app, &e.signer, "CANCELAR_CONTRASENA", None, &[]);
    assert_error(
        &send_act_as(
            &app,
            "/api/v1/contrasena-servicio/cancelacion",
            &act,
            &e.token,
        ),
        409,
        "CONTRASENA_NO_GENERADA",
    );
    certify(&app, "PME380607P35", "PEÑA MÁRQUEZ SOFTWARE");
    assert_error(
        &add(&app, &e, "PME380607P35", &fin),
        409,
        "CONTRASENA_NO_GENERADA",
    );
    // Relations are kept.
    assert_eq!(
        table(&app, &e.token)["relaciones"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn vigencia_expires_with_the_clock() {
    let clock = TestClock::new();
    let app = TestApp::start(app_options().clock(&clock));
    let e = world(&app);
    let hoy: NaiveDate = table(&app, &e.token)["hoy"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let fin = hoy + chrono::Days::new(1);
    let r = add(&app, &e, DESARROLLADOR, &fin.to_string());
    assert_eq!(r.status, 201, "{}", r.text());
    let no_caso = r.json::<Value>()["folio"].as_str().unwrap().to_string();

    // The end day itself is still vigente.
    clock.advance(Duration::from_secs(24 * 3600));
    let token = login(&app, &e.signer, "patron");
    let row = table(&app, &token)["relaciones"][0].clone();
    assert_eq!(row["estatus"], "Relación Vigente");

    // The day after, it is no longer.
    clock.advance(Duration::from_secs(24 * 3600));
    let token = login(&app, &e.signer, "patron");
    let t = table(&app, &token);
    assert_eq!(t["hoy"], (hoy + chrono::Days::new(2)).to_string());
    let row = &t["relaciones"][0];
    assert_eq!(row["estatus"], "Relación no vigente");
    assert_eq!(row["cancelable"], false);
    assert_error(
        &cancel(&app, &e.signer, &token, &no_caso),
        409,
        "RELACION_NO_VIGENTE",
    );
    let range = sheet(&export(&app, &token).body);
    assert_eq!(text_cell(&range, 1, 7), "Relación no vigente");

    // An expired relation does not block a new one with the same developer.
    let e2 = Employer {
        signer: Signer::demo(PATRON),
        token: token.clone(),
        password: e.password.clone(),
    };
    let r = add(
        &app,
        &e2,
        DESARROLLADOR,
        &(hoy + chrono::Days::new(60)).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let rows = table(&app, &token)["relaciones"].clone();
    let status: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["estatus"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["Relación Vigente", "Relación no vigente"]);
}

#[test]
fn concurrent_additions_of_the_same_relation_have_one_winner() {
    let app = start();
    let e = world(&app);
    let hoy: NaiveDate = table(&app, &e.token)["hoy"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let fin = (hoy + chrono::Months::new(3)).to_string();
    let acts: Vec<Act> = (0..8)
        .map(|_| add_act(&app, &e, DESARROLLADOR, &hoy.to_string(), &fin))
        .collect();
    let responses = app.send_all(acts.iter().map(|a| {
        TestRequest::post("/api/v1/relaciones")
            .header("authorization", format!("Bearer {}", e.token))
            .json(&Value::Object(a.body.clone()))
    }));
    let wins = responses.iter().filter(|r| r.status == 201).count();
    let duplicates = responses
        .iter()
        .filter(|r| r.status == 409 && r.text().contains("RELACION_DUPLICADA"))
        .count();
    assert_eq!(
        (wins, duplicates),
        (1, 7),
        "{:?}",
        responses.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    assert_eq!(
        table(&app, &e.token)["relaciones"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// `n` relations of the demo employer with `n` distinct developers, a third of them cancelled.
fn bulk_load(app: &TestApp, n: usize) -> Vec<String> {
    use avisos_relations::relation::{Cancellation, Relation, import};
    let backend = app
        .app()
        .unwrap()
        .stores()
        .get("default")
        .expect("default store")
        .clone();
    let kv = HostKv(backend);
    let salud: Value = app.get("/api/v1/salud").json();
    let now: chrono::DateTime<chrono::Utc> = salud["hora_utc"].as_str().unwrap().parse().unwrap();
    let today = avisos_relations::today(now);
    let relations = (0..n)
        .map(|i| Relation {
            no_caso: String::new(),
            patron_rfc: PATRON.into(),
            patron_nombre: "EMPRESA DEMOSTRACION SA DE CV".into(),
            desarrollador_rfc: format!("DEV{:06}AB{}", i, i % 10),
            desarrollador_nombre: format!("DESARROLLADORA DE NÓMINAS NÚMERO {i}"),
            servicio: avisos_relations::Servicio::Avisos,
            inicio_vigencia: today,
            fin_vigencia: today + chrono::Days::new(1 + (i % 700) as u64),
            registrada: now,
            generacion_contrasena: 1,
            cancelacion: (i % 3 == 0).then(|| Cancellation {
                fecha: today,
                instante: now,
                folio: format!("{:010}", 900_000_000 + i),
            }),
        })
        .collect();
    import(&kv, relations, now).expect("import")
}

#[test]
fn ten_thousand_relations_export_in_one_request() {
    let app = start();
    let patron = Signer::demo(PATRON);
    let token = login(&app, &patron, "patron");
    let n = 10_000;
    let ids = bulk_load(&app, n);
    assert_eq!(ids.len(), n);

    let started = Instant::now();
    let t = table(&app, &token);
    let list_time = started.elapsed();
    assert_eq!(t["relaciones"].as_array().unwrap().len(), n);
    assert_eq!((&t["total"], &t["hay_mas"]), (&json!(n), &json!(false)));

    let started = Instant::now();
    let x = export(&app, &token);
    let export_time = started.elapsed();
    eprintln!(
        "10,000 relations: list {list_time:?} ({} KB JSON), export {export_time:?} ({} KB xlsx)",
        t.to_string().len() / 1024,
        x.body.len() / 1024
    );
    let range = sheet(&x.body);
    assert_eq!(range.get_size(), (n + 1, 10));
    let header: Vec<String> = (0..10).map(|c| text_cell(&range, 0, c)).collect();
    assert_eq!(header, GUIDE_COLUMNS);
    // Newest first: the last imported is the first row, the first imported the last row.
    assert_eq!(text_cell(&range, 1, 0), ids[n - 1]);
    assert_eq!(text_cell(&range, n, 0), ids[0]);
    assert_eq!(text_cell(&range, n, 7), "Relación cancelada por usuario");
    assert_eq!(text_cell(&range, n - 1, 7), "Relación Vigente");
    assert_eq!(
        text_cell(&range, n, 2),
        "DESARROLLADORA DE NÓMINAS NÚMERO 0"
    );
    let today: NaiveDate = t["hoy"].as_str().unwrap().parse().unwrap();
    for row in [1, n / 2, n] {
        assert_eq!(date_cell(&range, row, 4), today);
        assert!(date_cell(&range, row, 5) > today);
    }
    let cancelled = (1..=n)
        .filter(|&r| text_cell(&range, r, 7) == "Relación cancelada por usuario")
        .count();
    assert_eq!(cancelled, n.div_ceil(3));
    // Generous bound for a debug-built host on a loaded 2-core machine; BENCHMARKS.md has
    // the real numbers.
    assert!(export_time < Duration::from_secs(60), "{export_time:?}");

    // One more: the table's default page stops at its cap of 10,000 rows and says there is
    // more; the second page holds the oldest; the export still has every row.
    let extra = bulk_load(&app, 1);
    let t = table(&app, &token);
    assert_eq!(t["relaciones"].as_array().unwrap().len(), n);
    assert_eq!((&t["total"], &t["hay_mas"]), (&json!(n + 1), &json!(true)));
    assert_eq!(t["relaciones"][0]["no_caso"], extra[0]);
    let r = get_with(&app, "/api/v1/relaciones?pagina=2", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let second: Value = r.json();
    assert_eq!(second["relaciones"].as_array().unwrap().len(), 1);
    assert_eq!(second["relaciones"][0]["no_caso"], ids[0]);
    assert_eq!(second["hay_mas"], false);
    assert_eq!(sheet(&export(&app, &token).body).get_size(), (n + 2, 10));
}

#[test]
fn relations_table_pages_and_refuses_bad_page_parameters() {
    let app = start();
    let token = login(&app, &Signer::demo(PATRON), "patron");
    let ids = bulk_load(&app, 5);
    let r = get_with(&app, "/api/v1/relaciones?pagina=2&por_pagina=2", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let t: Value = r.json();
    let cases: Vec<&str> = t["relaciones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["no_caso"].as_str().unwrap())
        .collect();
    assert_eq!(cases, [&ids[2], &ids[1]]);
    assert_eq!(
        (&t["pagina"], &t["por_pagina"], &t["total"], &t["hay_mas"]),
        (&json!(2), &json!(2), &json!(5), &json!(true))
    );
    let t = table(&app, &token);
    assert_eq!(
        (&t["pagina"], &t["por_pagina"]),
        (&json!(1), &json!(10_000))
    );
    for query in [
        "por_pagina=10001",
        "por_pagina=0",
        "pagina=0",
        "pagina=dos",
        "pagina=1000001",
    ] {
        let r = get_with(&app, &format!("/api/v1/relaciones?{query}"), &token);
        assert_error(&r, 400, "PARAMETRO_INVALIDO");
    }
}
