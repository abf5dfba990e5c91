//! Issue 6 end to end: certificación para desarrolladores (seed 002) over HTTP, against the real
//! components on the host, with a moving clock and a real HTTP mail sink.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use avisos_e2e::*;
use avisos_evidence::sample::{SampleOptions, ZipVariant, workbook_xlsx};
use avisos_evidence::{TestSet, TestSetId};
use avisos_host::TestClock;
use avisos_host::testing::{TestApp, TestOptions, TestRequest, TestResponse};
use base64::Engine;
use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const NAME_DEV: &str = "NOMINAS DEMOSTRACION SA DE CV";
const CORREO: &str = "certificacion@nominas-demo.mx";

/// A tiny HTTP mail API: records every POST body and answers 202, or is down (connections
/// refused) until started again on the same port.
struct MailSink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MailSink {
    fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sink = MailSink {
            addr,
            received: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        sink.serve(listener);
        sink
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let stop = self.stop.clone();
        let received = self.received.clone();
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        if let Some(body) = read_http_body(&mut s) {
                            if let Ok(v) = serde_json::from_slice(&body) {
                                received.lock().unwrap().push(v);
                            }
                            let _ = s.write_all(
                                b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                            );
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }

    fn url(&self) -> String {
        format!("http://{}/v1/enviar", self.addr)
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the port: further connections are refused.
    fn down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    fn up(&mut self) {
        self.stop.store(false, Ordering::SeqCst);
        let listener = TcpListener::bind(self.addr).unwrap();
        self.serve(listener);
    }

    fn subjects(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|v| v["asunto"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.down();
    }
}

fn read_http_body(s: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let more = |s: &mut std::net::TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8]| -> Option<()> {
        let n = s.read(chunk).ok()?;
        (n > 0).then(|| buf.extend_from_slice(&chunk[..n]))
    };
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        more(s, &mut buf, &mut chunk)?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let mut body = buf.split_off(end + 4);
    if head.contains("transfer-encoding: chunked") {
        // Chunks until the zero-length one.
        let mut out = Vec::new();
        loop {
            let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") else {
                more(s, &mut body, &mut chunk)?;
                continue;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
                .ok()?;
            if size == 0 {
                return Some(out);
            }
            while body.len() < line_end + 2 + size + 2 {
                more(s, &mut body, &mut chunk)?;
            }
            out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
            body.drain(..line_end + 2 + size + 2);
        }
    }
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while body.len() < len {
        more(s, &mut body, &mut chunk)?;
    }
    body.truncate(len);
    Some(body)
}

/// Monday 2026-11-23, 10:00 in Mexico City.
fn start_of_story() -> SystemTime {
    let at: chrono::DateTime<Utc> = "2026-11-23T16:00:00Z".parse().unwrap();
    UNIX_EPOCH + Duration::from_secs(at.timestamp() as u64)
}

fn options(clock: &TestClock, sink: Option<&MailSink>) -> TestOptions {
    let o = app_options().clock(clock);
    match sink {
        Some(s) => o
            .variable("correo_api_url", s.url())
            .variable("correo_api_token", "token-de-pruebas")
            .variable("correo_api_origen", s.origin()),
        None => o,
    }
}

fn kv(app: &TestApp) -> HostKv {
    host_kv_of(app)
}

fn today(app: &TestApp) -> NaiveDate {
    server_now(app)[..10].parse().unwrap()
}

fn request(app: &TestApp, dev: &Signer, token: &str) -> TestResponse {
    let act = prepare(
        app,
        dev,
        "SOLICITAR_CERTIFICACION",
        Some("certificacion-solicitud"),
        &[("razon_social", NAME_DEV), ("correo", CORREO)],
    );
    send_act_as(app, "/api/v1/certificaciones", &act, token)
}

/// [`request`], which must succeed: the answer (folio, certificacion, notificaciones).
fn requested(app: &TestApp, dev: &Signer, token: &str) -> Value {
    let r = request(app, dev, token);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// The analyst's tray filtered by `estatus` (`en-analisis`, `vencida`…).
fn analyst_tray(app: &TestApp, atoken: &str, estatus: &str) -> Value {
    get_with(
        app,
        &format!("/api/v1/analistas/certificaciones?estatus={estatus}"),
        atoken,
    )
    .json()
}

fn current(app: &TestApp, token: &str) -> Value {
    let r = get_with(app, "/api/v1/certificaciones/actual", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The test set the developer received, as the service generated it (the seed is the server's:
/// read from the store, and checked against the downloaded package).
fn test_set(app: &TestApp, folio: &str, token: &str) -> TestSet {
    use avisos_kv::KeyValue;
    let raw = kv(app)
        .get(&format!("certificacion:{folio}"))
        .unwrap()
        .expect("record");
    let record: Value = serde_json::from_slice(&raw).unwrap();
    let ronda = record["rondas"].as_array().unwrap().last().unwrap().clone();
    let id = TestSetId {
        semilla: ronda["semilla"].as_u64().unwrap(),
        folio: folio.to_string(),
        ronda: ronda["ronda"].as_u64().unwrap() as u32,
        fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
    };
    let set = avisos_evidence::generate(&id);
    let zip = get_with(
        app,
        &format!("/api/v1/certificaciones/{folio}/set-de-pruebas"),
        token,
    );
    assert_eq!(zip.status, 200, "{}", zip.text());
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert_eq!(
        zip.body,
        set.package_zip(),
        "the download is the stored round's set"
    );
    set
}

fn upload(app: &TestApp, folio: &str, token: &str, bytes: Vec<u8>) -> TestResponse {
    app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", XLSX)
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(bytes),
    )
}

fn dictamen(
    app: &TestApp,
    analyst: &Signer,
    token: &str,
    folio: &str,
    resultado: &str,
    observaciones: &str,
) -> TestResponse {
    let act = prepare(
        app,
        analyst,
        "DICTAMINAR_CERTIFICACION",
        None,
        &[
            ("folio", folio),
            ("resultado", resultado),
            ("observaciones", observaciones),
        ],
    );
    send_act_as(
        app,
        &format!("/api/v1/analistas/certificaciones/{folio}/dictamen"),
        &act,
        token,
    )
}

fn folio_act(
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

fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let r = get_with(app, "/api/v1/notificaciones", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["notificaciones"]
        .as_array()
        .unwrap()
        .clone()
}

fn directory(app: &TestApp, token: &str) -> Vec<String> {
    let r = get_with(app, "/api/v1/desarrolladores?q=nominas", token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["resultados"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rfc"].as_str().unwrap().to_string())
        .collect()
}

/// The text of a PDF, as a reader extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a valid PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

/// Whitespace collapsed (the PDF wraps lines).
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn business_days(from: NaiveDate, n: u32) -> NaiveDate {
    avisos_calendar::Calendar::official().add_business_days(from, n)
}

/// An upload written by hand: `announce` as Content-Length (and no body), or `stream` bytes
/// chunked without any length. Write errors are expected once the server refuses.
fn raw_upload(
    app: &TestApp,
    folio: &str,
    token: &str,
    announce: Option<usize>,
    stream: usize,
) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(app.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let framing = match announce {
        Some(n) => format!("content-length: {n}"),
        None => "transfer-encoding: chunked".to_string(),
    };
    let _ = write!(
        s,
        "POST /api/v1/certificaciones/{folio}/evidencias?archivo=e.xlsx HTTP/1.1\r\nhost: {}\r\n\
         authorization: Bearer {token}\r\ncontent-type: {XLSX}\r\n{framing}\r\n\
         connection: close\r\n\r\n",
        app.addr()
    );
    let piece = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < stream {
        let n = piece.len().min(stream - sent);
        if write!(s, "{n:x}\r\n").is_err()
            || s.write_all(&piece[..n]).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
        sent += n;
    }
    if sent == stream && announce.is_none() {
        let _ = s.write_all(b"0\r\n\r\n");
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The body may be chunked: keep the JSON object.
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn assert_rejected(r: &TestResponse, pestana: u64) {
    assert_eq!(r.status, 422, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["codigo"], "EVIDENCIA_RECHAZADA");
    let problemas = v["problemas"].as_array().unwrap();
    assert!(
        problemas.iter().any(|p| p["pestana"] == pestana),
        "expected a problem in tab {pestana}: {v}"
    );
    for p in problemas {
        assert!(p["mensaje"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(p["codigo"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn the_whole_guide() {
    let clock = TestClock::new();
    clock.set_now(start_of_story());
    let mut sink = MailSink::start();
    let app = TestApp::start(options(&clock, Some(&sink)));
    let dev = Signer::demo(DESARROLLADOR);
    let analyst = Signer::demo(ANALISTA);
    let employer = Signer::demo(PATRON);
    let token = login(&app, &dev, "desarrollador");
    let hoy = today(&app);

    // 1. Solicitud: folio, status, date, the responsiva, the test set by e-mail.
    let solicitud = requested(&app, &dev, &token);
    let folio = solicitud["folio"].as_str().unwrap().to_string();
    assert_eq!(folio.len(), 10);
    let c = &solicitud["certificacion"];
    assert_eq!(c["estatus"], "En espera de documentos");
    assert_eq!(c["fecha"], hoy.to_string());
    assert_eq!(c["plazo"]["dias_habiles"], 45);
    assert_eq!(c["plazo"]["vence"], business_days(hoy, 45).to_string());
    assert_eq!(solicitud["notificaciones"][0]["estado"], "enviada");
    assert_eq!(solicitud["notificaciones"][0]["evento"], "set-de-pruebas");
    let mail = sink.received.lock().unwrap()[0].clone();
    assert_eq!(mail["para"], CORREO);
    assert!(mail["texto"].as_str().unwrap().contains(&folio));
    // The responsiva: the acuse carries the accepted terms (title, version, hash).
    let terms_sha = terms_hash(&app, "certificacion-solicitud");
    let acuse: Value = get_with(
        &app,
        &format!("/api/v1/acuses/{folio}?formato=json"),
        &token,
    )
    .json();
    assert_eq!(acuse["terminos"]["sha256"], terms_sha.as_str());
    let pdf = get_with(&app, &format!("/api/v1/acuses/{folio}"), &token);
    assert!(pdf.body.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&pdf.body).contains(&terms_sha));
    // One live request per developer.
    assert_error(&request(&app, &dev, &token), 409, "CERTIFICACION_EN_CURSO");

    // 2. The test set, and every refusal of the evidence (nothing changes).
    let set = test_set(&app, &folio, &token);
    // The e-mail carried the same package as an attachment.
    let adjunto = sink.received.lock().unwrap()[0]["adjuntos"][0].clone();
    assert_eq!(adjunto["tipo"], "application/zip");
    let attached = B64
        .decode(adjunto["contenido_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(attached, set.package_zip());
    // 5 MiB + 1 byte: refused before it is read, whether announced or streamed without a length.
    let limit = avisos_evidence::MAX_WORKBOOK_BYTES;
    let (status, body) = raw_upload(&app, &folio, &token, Some(limit + 1), 0);
    assert_eq!(
        (status, body["codigo"].as_str()),
        (413, Some("CUERPO_DEMASIADO_GRANDE"))
    );
    let (status, body) = raw_upload(&app, &folio, &token, None, limit + 1);
    assert_eq!(
        (status, body["codigo"].as_str()),
        (413, Some("CUERPO_DEMASIADO_GRANDE"))
    );
    assert_rejected(
        &upload(&app, &folio, &token, b"esto no es un libro".to_vec()),
        0,
    );
    let refusals: Vec<(SampleOptions, u64)> = vec![
        (
            SampleOptions {
                omit_tab: Some(3),
                ..Default::default()
            },
            3,
        ),
        (
            SampleOptions {
                zip: ZipVariant::Broken,
                ..Default::default()
            },
            1,
        ),
        (
            SampleOptions {
                zip: ZipVariant::Bomb,
                ..Default::default()
            },
            1,
        ),
        (
            SampleOptions {
                zip: ZipVariant::PathTraversal,
                ..Default::default()
            },
            1,
        ),
        (
            SampleOptions {
                wrong_json: true,
                ..Default::default()
            },
            1,
        ),
        (
            SampleOptions {
                cfdi_without_deduction: true,
                ..Default::default()
            },
            4,
        ),
    ];
    for (opts, tab) in refusals {
        assert_rejected(
            &upload(&app, &folio, &token, workbook_xlsx(&set, &opts)),
            tab,
        );
    }
    assert_eq!(current(&app, &token)["estatus"], "En espera de documentos");
    assert!(current(&app, &token)["evidencia"].is_null());

    // 3. Upload with a wrong amount: accepted, graded, «En análisis» with 5 business days.
    let wrong_case = set.casos[0].id.clone();
    let workbook = workbook_xlsx(
        &set,
        &SampleOptions {
            wrong_amount_case: Some(wrong_case.clone()),
            ..Default::default()
        },
    );
    let r = upload(&app, &folio, &token, workbook.clone());
    assert_eq!(r.status, 201, "{}", r.text());
    let c: Value = r.json();
    assert_eq!(c["estatus"], "En análisis");
    assert_eq!(c["plazo"]["dias_habiles"], 5);
    assert!(
        c["evidencia"]["calificacion"].is_null(),
        "developers do not see the grading"
    );
    assert_error(
        &upload(&app, &folio, &token, workbook.clone()),
        409,
        "ESTATUS_NO_PERMITE_EVIDENCIAS",
    );

    // 4. The analyst's tray, the grading per case, the stored workbook.
    let atoken = login(&app, &analyst, "analista");
    let tray = analyst_tray(&app, &atoken, "en-analisis");
    assert!(
        tray["solicitudes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["folio"] == folio.as_str())
    );
    let detail: Value = get_with(
        &app,
        &format!("/api/v1/analistas/certificaciones/{folio}"),
        &atoken,
    )
    .json();
    let grading = &detail["evidencia"]["calificacion"];
    assert_eq!(grading["total"].as_u64().unwrap(), set.casos.len() as u64);
    assert_eq!(
        grading["correctos"].as_u64().unwrap(),
        set.casos.len() as u64 - 1
    );
    let bad: Vec<&Value> = grading["casos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["correcto"] == false)
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["id"], wrong_case.as_str());
    let stored = get_with(
        &app,
        &format!("/api/v1/analistas/certificaciones/{folio}/evidencia"),
        &atoken,
    );
    assert_eq!(stored.status, 200);
    assert_eq!(
        stored.body, workbook,
        "the workbook comes back byte for byte from its chunks"
    );

    // 5. Inconsistencias: observations, a new test set, back to waiting with 10 business days.
    assert_error(
        &dictamen(&app, &analyst, &atoken, &folio, "inconsistencias", " "),
        400,
        "OBSERVACIONES_REQUERIDAS",
    );
    let obs = format!("El caso {wrong_case} no coincide con el monto esperado.");
    let r = dictamen(&app, &analyst, &atoken, &folio, "inconsistencias", &obs);
    assert_eq!(r.status, 201, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["certificacion"]["estatus"], "En espera de documentos");
    assert_eq!(v["certificacion"]["ronda"], 2);
    assert_eq!(v["certificacion"]["plazo"]["dias_habiles"], 10);
    assert_eq!(v["notificaciones"][0]["evento"], "inconsistencias");
    assert_eq!(v["notificaciones"][0]["estado"], "enviada");
    let c = current(&app, &token);
    assert_eq!(c["observaciones"][0]["texto"], obs.as_str());
    assert_eq!(c["acciones"][1], "enviar-evidencias");
    let set2 = test_set(&app, &folio, &token);
    assert_ne!(set2.id, set.id);
    // The first round's workbook answers the old set: refused now (JSON of another set).
    assert_eq!(upload(&app, &folio, &token, workbook).status, 422);

    // 6. Re-upload, correct this time.
    clock.advance(Duration::from_secs(2 * 86_400));
    let token = login(&app, &dev, "desarrollador");
    let r = upload(
        &app,
        &folio,
        &token,
        workbook_xlsx(&set2, &SampleOptions::default()),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let atoken = login(&app, &analyst, "analista");
    let detail: Value = get_with(
        &app,
        &format!("/api/v1/analistas/certificaciones/{folio}"),
        &atoken,
    )
    .json();
    assert_eq!(detail["evidencia"]["ronda"], 2);
    assert_eq!(
        detail["evidencia"]["calificacion"]["correctos"],
        detail["evidencia"]["calificacion"]["total"]
    );

    // 7. Approval, with the mail API down: the notification fails, is kept and retried.
    sink.down();
    let r = dictamen(&app, &analyst, &atoken, &folio, "aprobar", "");
    assert_eq!(r.status, 201, "{}", r.text());
    let n = r.json::<Value>()["notificaciones"][0].clone();
    assert_eq!(n["evento"], "aprobacion");
    assert_eq!(n["estado"], "fallida");
    assert_eq!(n["intentos"], 1);
    assert!(!n["ultimo_error"].as_str().unwrap().is_empty());
    assert_eq!(inbox(&app, &token)[0]["estado"], "fallida");
    sink.up();
    let r = app.send(
        TestRequest::post("/api/v1/notificaciones/reintentos")
            .header("authorization", format!("Bearer {atoken}")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["enviadas"], 1);
    let mails = inbox(&app, &token);
    assert_eq!(mails[0]["estado"], "enviada");
    assert_eq!(mails[0]["intentos"], 2);
    assert_eq!(
        mails.len(),
        3,
        "set de pruebas, inconsistencias, aprobación"
    );
    assert!(sink.subjects().iter().any(|s| s.starts_with("Aprobación")));

    // 8. Not in the directory until the developer signs the approval terms.
    let etoken = login(&app, &employer, "patron");
    assert!(directory(&app, &etoken).is_empty());
    let c = current(&app, &token);
    assert_eq!(c["estatus"], "Aprobado");
    assert_eq!(c["acciones"][0], "aceptar-aprobacion");
    let r = folio_act(
        &app,
        &dev,
        &token,
        "ACEPTAR_APROBACION",
        "certificacion-aprobacion",
        &folio,
        "aceptacion",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["certificacion"]["estatus"], "Certificación autorizada");
    let responsiva = v["certificacion"]["responsiva_aprobacion"]
        .as_str()
        .unwrap()
        .to_string();
    let pdf = get_with(&app, &responsiva, &token);
    assert!(pdf.body.starts_with(b"%PDF"));
    // Issue 16, item 4: on the authorised screen «Descargar responsiva» is the approval's, and
    // it holds what was signed: the terms' full text, version and SHA-256, cadena and seal.
    assert_eq!(v["certificacion"]["responsiva"], responsiva.as_str());
    assert_eq!(
        v["certificacion"]["responsiva_solicitud"],
        format!("/api/v1/acuses/{folio}")
    );
    assert_eq!(current(&app, &token)["responsiva"], responsiva.as_str());
    let terms: Value = app.get("/api/v1/terminos/certificacion-aprobacion").json();
    let record: Value = get_with(&app, &format!("{responsiva}?formato=json"), &token).json();
    let text = squeeze(&pdf_text(&pdf.body));
    assert!(
        text.contains(&squeeze(terms["texto"].as_str().unwrap())),
        "{text}"
    );
    assert!(text.contains(&format!("(versión {})", terms["version"].as_str().unwrap())));
    assert!(text.contains(terms["sha256"].as_str().unwrap()));
    for field in ["sello", "cadena_original"] {
        let value = squeeze(record[field].as_str().unwrap());
        assert!(
            text.replace(' ', "").contains(&value.replace(' ', "")),
            "{field}"
        );
    }
    // Issue 16, item 6: the `autorizacion` e-mail, sent through the outbox.
    assert_eq!(v["notificaciones"][0]["evento"], "autorizacion");
    assert_eq!(v["notificaciones"][0]["estado"], "enviada");
    assert!(
        sink.subjects()
            .iter()
            .any(|s| s.starts_with("Certificación autorizada"))
    );
    assert_eq!(inbox(&app, &token)[0]["evento"], "autorizacion");
    assert_eq!(directory(&app, &etoken), [DESARROLLADOR]);

    // 9. An employer's relation with it authorises avisos…
    let act = prepare(&app, &employer, "GENERAR_CONTRASENA", None, &[]);
    let pw = send_act_as(&app, "/api/v1/contrasena-servicio", &act, &etoken).json::<Value>()["contrasena"].as_str().unwrap().to_string();
    let fin = (today(&app) + chrono::Days::new(90)).to_string();
    let mut act = prepare(
        &app,
        &employer,
        "ADICIONAR_RELACION",
        Some("relaciones-de-confianza"),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", DESARROLLADOR),
            ("inicio_vigencia", &today(&app).to_string()),
            ("fin_vigencia", &fin),
        ],
    );
    act.body.insert("contrasena".into(), json!(pw));
    let r = send_act_as(&app, "/api/v1/relaciones", &act, &etoken);
    assert_eq!(r.status, 201, "{}", r.text());
    let authorizes = |app: &TestApp| {
        let now: chrono::DateTime<Utc> = app.get("/api/v1/salud").json::<Value>()["hora_utc"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        avisos_relations::relation::authorizes(
            &kv(app),
            PATRON,
            DESARROLLADOR,
            avisos_relations::Servicio::Avisos,
            now,
        )
        .unwrap()
        .is_some()
    };
    assert!(authorizes(&app));

    // 10. … until the developer cancels: acuse shown once, e-mail, directory empty, no access.
    let r = folio_act(
        &app,
        &dev,
        &token,
        "CANCELAR_CERTIFICACION",
        "certificacion-cancelacion",
        &folio,
        "cancelacion",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["certificacion"]["estatus"], "Cancelada");
    let receipt = &v["acuse_cancelacion"];
    assert_eq!(receipt["solo_esta_sesion"], true);
    assert!(
        receipt["aviso"]
            .as_str()
            .unwrap()
            .contains("solo se mostrará en esta sesión")
    );
    let inline = B64.decode(receipt["pdf_base64"].as_str().unwrap()).unwrap();
    assert!(inline.starts_with(b"%PDF"));
    let descarga = receipt["descarga"].as_str().unwrap().to_string();
    let first = get_with(&app, &descarga, &token);
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(first.body.starts_with(b"%PDF"));
    assert_error(
        &get_with(&app, &descarga, &token),
        410,
        "ACUSE_CANCELACION_ENTREGADO",
    );
    let cancel_folio = v["folio"].as_str().unwrap();
    assert_error(
        &get_with(&app, &format!("/api/v1/acuses/{cancel_folio}"), &token),
        404,
        "ACUSE_NO_ENCONTRADO",
    );
    assert_eq!(v["notificaciones"][0]["evento"], "cancelacion");
    assert_eq!(v["notificaciones"][0]["estado"], "enviada");
    assert!(sink.received.lock().unwrap().iter().any(|m| {
        m["texto"]
            .as_str()
            .unwrap()
            .contains("La certificación ha sido cancelada con éxito.")
    }));
    assert!(directory(&app, &etoken).is_empty());
    assert!(!authorizes(&app));
    assert_eq!(current(&app, &token)["acciones"], json!(["solicitar"]));
    // Issue 16, item 2: the employer's table says what the cancellation means for it, and
    // since when: «Relación no vigente», never «Relación Vigente».
    let table = get_with(&app, "/api/v1/relaciones", &etoken).json::<Value>();
    let row = &table["relaciones"][0];
    assert_eq!(row["estatus"], "Relación no vigente", "{row}");
    assert_eq!(row["motivo"]["codigo"], "CERTIFICACION_CANCELADA");
    assert_eq!(row["motivo"]["fecha"], today(&app).to_string());
    let guide_date = avisos_acts::pdf::fecha_guia(today(&app));
    assert!(
        row["motivo"]["texto"]
            .as_str()
            .unwrap()
            .contains(&format!("fue cancelada el {guide_date}")),
        "{row}"
    );

    // 11. It may request again.
    assert_ne!(requested(&app, &dev, &token)["folio"], folio.as_str());
}

#[test]
fn vencida_after_45_business_days_and_the_calendar_moves_deadlines() {
    let clock = TestClock::new();
    clock.set_now(start_of_story());
    let app = TestApp::start(options(&clock, None));
    let dev = Signer::demo(DESARROLLADOR_2);
    let analyst = Signer::demo(ANALISTA);
    let token = login(&app, &dev, "desarrollador");
    let hoy = today(&app);
    let v = requested(&app, &dev, &token);
    let folio = v["folio"].as_str().unwrap().to_string();
    // Without a mail API the inbox is the delivery.
    assert_eq!(v["notificaciones"][0]["estado"], "pendiente");
    let vence = business_days(hoy, 45);
    assert_eq!(v["certificacion"]["plazo"]["vence"], vence.to_string());

    // The institute declares a day non-working: the running deadline moves one business day.
    let atoken = login(&app, &analyst, "analista");
    let extra = business_days(hoy, 3);
    let r = app.send(
        TestRequest::put(format!("/api/v1/calendario/{}", extra.format("%Y")))
            .header("authorization", format!("Bearer {atoken}"))
            .json(&json!({"dias_inhabiles": [extra.to_string()]})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let cal: Value = app
        .get(&format!("/api/v1/calendario/{}", extra.format("%Y")))
        .json();
    assert!(
        cal["dias_inhabiles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["fecha"] == extra.to_string())
    );
    let moved = avisos_calendar::Calendar::official()
        .with_extra_days([extra])
        .add_business_days(hoy, 45);
    assert!(moved > vence);
    assert_eq!(current(&app, &token)["plazo"]["vence"], moved.to_string());
    // Only analysts edit the calendar.
    let r = app.send(
        TestRequest::put("/api/v1/calendario/2026")
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"dias_inhabiles": []})),
    );
    assert_error(&r, 403, "ROL_NO_PERMITIDO");

    // On the last day it is still waiting; the day after, «Vencida».
    let days_to = |d: NaiveDate| Duration::from_secs((d - hoy).num_days() as u64 * 86_400);
    clock.set_now(start_of_story() + days_to(moved));
    let token = login(&app, &dev, "desarrollador");
    assert_eq!(current(&app, &token)["estatus"], "En espera de documentos");
    clock.set_now(start_of_story() + days_to(moved + chrono::Days::new(1)));
    let token = login(&app, &dev, "desarrollador");
    let c = current(&app, &token);
    assert_eq!(c["estatus"], "Vencida");
    assert_eq!(c["acciones"], json!(["solicitar"]));
    let set_bytes = vec![b'x'; 10];
    assert_error(
        &upload(&app, &folio, &token, set_bytes),
        409,
        "CERTIFICACION_VENCIDA",
    );
    let atoken = login(&app, &analyst, "analista");
    let tray = analyst_tray(&app, &atoken, "vencida");
    assert_eq!(tray["solicitudes"][0]["folio"], folio.as_str());
    let waiting = analyst_tray(&app, &atoken, "en-espera");
    assert!(waiting["solicitudes"].as_array().unwrap().is_empty());
    // A lapsed request does not block a new one.
    requested(&app, &dev, &token);
}

#[test]
fn roles_and_ownership_are_enforced() {
    let clock = TestClock::new();
    clock.set_now(start_of_story());
    let app = TestApp::start(options(&clock, None));
    let dev = Signer::demo(DESARROLLADOR);
    let other = Signer::demo(DESARROLLADOR_2);
    let employer = Signer::demo(PATRON);
    let analyst = Signer::demo(ANALISTA);
    let token = login(&app, &dev, "desarrollador");
    let folio = requested(&app, &dev, &token)["folio"]
        .as_str()
        .unwrap()
        .to_string();

    // Another developer: someone else's folio answers like a missing one.
    let otoken = login(&app, &other, "desarrollador");
    assert_error(
        &get_with(
            &app,
            &format!("/api/v1/certificaciones/{folio}/set-de-pruebas"),
            &otoken,
        ),
        404,
        "CERTIFICACION_NO_ENCONTRADA",
    );
    assert_error(
        &get_with(
            &app,
            &format!("/api/v1/certificaciones/{folio}/acuse-cancelacion?token=x"),
            &otoken,
        ),
        404,
        "ACUSE_NO_ENCONTRADO",
    );
    // The analyst's views are for analysts only.
    assert_error(
        &get_with(
            &app,
            &format!("/api/v1/analistas/certificaciones/{folio}/evidencia"),
            &token,
        ),
        403,
        "ROL_NO_PERMITIDO",
    );
    assert_error(
        &upload(&app, &folio, &otoken, b"x".to_vec()),
        404,
        "CERTIFICACION_NO_ENCONTRADA",
    );
    assert_error(
        &folio_act(
            &app,
            &other,
            &otoken,
            "CANCELAR_CERTIFICACION",
            "certificacion-cancelacion",
            &folio,
            "cancelacion",
        ),
        404,
        "CERTIFICACION_NO_ENCONTRADA",
    );
    assert_error(
        &get_with(&app, "/api/v1/certificaciones/actual", &otoken),
        404,
        "SIN_CERTIFICACION",
    );
    // Signing with another e.firma than the session's.
    let act = prepare(
        &app,
        &other,
        "CANCELAR_CERTIFICACION",
        Some("certificacion-cancelacion"),
        &[("folio", &folio)],
    );
    assert_error(
        &send_act_as(
            &app,
            &format!("/api/v1/certificaciones/{folio}/cancelacion"),
            &act,
            &token,
        ),
        403,
        "SESION_NO_COINCIDE",
    );

    // An employer cannot request certification nor read the analyst's tray.
    let etoken = login(&app, &employer, "patron");
    let act = prepare(
        &app,
        &employer,
        "SOLICITAR_CERTIFICACION",
        Some("certificacion-solicitud"),
        &[("razon_social", "X SA"), ("correo", CORREO)],
    );
    assert_error(
        &send_act_as(&app, "/api/v1/certificaciones", &act, &etoken),
        403,
        "ROL_NO_PERMITIDO",
    );
    assert_error(
        &get_with(&app, "/api/v1/analistas/certificaciones", &etoken),
        403,
        "ROL_NO_PERMITIDO",
    );

    // Only analysts issue a dictamen, only «En análisis», observations bounded.
    assert_error(
        &dictamen(&app, &dev, &token, &folio, "aprobar", ""),
        403,
        "ROL_NO_PERMITIDO",
    );
    let atoken = login(&app, &analyst, "analista");
    assert_error(
        &dictamen(&app, &analyst, &atoken, &folio, "aprobar", ""),
        409,
        "ESTATUS_NO_PERMITE_DICTAMEN",
    );
    let long = "x".repeat(2_001);
    assert_error(
        &dictamen(&app, &analyst, &atoken, &folio, "inconsistencias", &long),
        400,
        "OBSERVACIONES_DEMASIADO_LARGAS",
    );
    assert_error(
        &dictamen(&app, &analyst, &atoken, &folio, "rechazar", "x"),
        400,
        "RESULTADO_INVALIDO",
    );
    // Accepting before approval.
    assert_error(
        &folio_act(
            &app,
            &dev,
            &token,
            "ACEPTAR_APROBACION",
            "certificacion-aprobacion",
            &folio,
            "aceptacion",
        ),
        409,
        "ESTATUS_NO_PERMITE_ACEPTACION",
    );
    // Upload without a name, with a wrong content type.
    let r = app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", XLSX)
            .body(b"x".to_vec()),
    );
    assert_error(&r, 400, "NOMBRE_ARCHIVO_REQUERIDO");
    let r = app.send(
        TestRequest::post(format!(
            "/api/v1/certificaciones/{folio}/evidencias?archivo=e.xlsx"
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/plain")
        .body(b"x".to_vec()),
    );
    assert_error(&r, 415, "TIPO_DE_CONTENIDO_INVALIDO");
    // Without a session.
    assert_error(&app.get("/api/v1/notificaciones"), 401, "SESION_REQUERIDA");
    // The inbox is per RFC.
    assert_eq!(inbox(&app, &token).len(), 1);
    assert!(inbox(&app, &otoken).is_empty());
}

#[test]
fn business_days_over_http_across_movable_mondays_and_the_year_end() {
    // Friday 2026-12-18, 10:00 in Mexico City.
    let clock = TestClock::new();
    let at: chrono::DateTime<Utc> = "2026-12-18T16:00:00Z".parse().unwrap();
    clock.set_now(UNIX_EPOCH + Duration::from_secs(at.timestamp() as u64));
    let app = TestApp::start(options(&clock, None));

    // The official rest days of 2026, with the movable Mondays (LFT art. 74).
    let cal: Value = app.get("/api/v1/calendario/2026").json();
    let days: Vec<&str> = cal["dias_inhabiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fecha"].as_str().unwrap())
        .collect();
    for d in [
        "2026-01-01",
        "2026-02-02",
        "2026-03-16",
        "2026-05-01",
        "2026-09-16",
        "2026-11-16",
        "2026-12-25",
    ] {
        assert!(days.contains(&d), "{d} missing from {days:?}");
    }
    assert_error(&app.get("/api/v1/calendario/1999"), 400, "ANIO_INVALIDO");

    // 45 business days from Friday 18 Dec 2026, counted by hand: weekends, 25 Dec, 1 Jan and
    // the first Monday of February 2027 (1 Feb) are skipped → Wednesday 24 Feb 2027.
    let dev = Signer::demo(DESARROLLADOR);
    let token = login(&app, &dev, "desarrollador");
    let solicitud = requested(&app, &dev, &token);
    let plazo = &solicitud["certificacion"]["plazo"];
    assert_eq!(plazo["desde"], "2026-12-18");
    assert_eq!(plazo["vence"], "2027-02-24");
    assert_eq!(plazo["vence_texto"], "24/feb/2027");
    assert_eq!(plazo["dias_habiles_restantes"], 45);
}

#[test]
fn hostile_workbooks_are_a_422_not_a_trap() {
    // Every input that crashed calamine (shared/evidence/testdata/fuzz/, among them the .xls
    // whose picture store hit `unreachable!()` in parse_pictures): in the wasm component a
    // panic traps the instance and the client gets an empty 500. Each must be a 422 with the
    // problems in JSON, and the component must keep answering.
    let clock = TestClock::new();
    clock.set_now(start_of_story());
    let app = TestApp::start(options(&clock, None));
    let dev = Signer::demo(DESARROLLADOR);
    let token = login(&app, &dev, "desarrollador");
    let folio = requested(&app, &dev, &token)["folio"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/evidence/testdata/fuzz");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("crash-pictures-blip-instance.xls"))
    );
    for file in &files {
        let r = app.send(
            TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/vnd.ms-excel")
                .header("x-nombre-archivo", "evidencias.xls")
                .body(std::fs::read(file).unwrap()),
        );
        assert_eq!(r.status, 422, "{}: {}", file.display(), r.text());
        let v: Value = r.json();
        assert_eq!(v["codigo"], "EVIDENCIA_RECHAZADA", "{v}");
        assert!(!v["problemas"].as_array().unwrap().is_empty(), "{v}");
        if file.ends_with("crash-pictures-blip-instance.xls") {
            assert_eq!(v["problemas"][0]["codigo"], "LIBRO_ILEGIBLE", "{v}");
            assert_eq!(v["problemas"][0]["pestana"], 0, "{v}");
        }
    }
    assert_eq!(current(&app, &token)["estatus"], "En espera de documentos");
}

/// Issue 16, item 3: the developer's deadlines count from the delivery of the e-mail that
/// starts them (45 days: the test set; 10 days: the new set), as the outbox records it; the
/// institute's review running late never turns the request «Vencida», the analyst's tray shows
/// it late.
#[test]
fn deadlines_count_from_the_e_mail_delivery_and_a_late_review_is_the_institutes() {
    let clock = TestClock::new();
    clock.set_now(start_of_story());
    let mut sink = MailSink::start();
    let app = TestApp::start(options(&clock, Some(&sink)));
    let dev = Signer::demo(DESARROLLADOR_2);
    let analyst = Signer::demo(ANALISTA);
    let days = |n: u64| Duration::from_secs(n * 86_400);
    let retry = |app: &TestApp| {
        let atoken = login(app, &analyst, "analista");
        let r = app.send(
            TestRequest::post("/api/v1/notificaciones/reintentos")
                .header("authorization", format!("Bearer {atoken}")),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json::<Value>()["enviadas"], 1, "{}", r.text());
    };

    // The mail API is down: the test set's e-mail waits in the outbox, the deadline with it.
    sink.down();
    let token = login(&app, &dev, "desarrollador");
    let v = requested(&app, &dev, &token);
    let folio = v["folio"].as_str().unwrap().to_string();
    assert_eq!(v["notificaciones"][0]["estado"], "fallida");
    let p = &v["certificacion"]["plazo"];
    assert_eq!(p["iniciado"], false, "{p}");
    assert!(p["vence"].is_null() && p["desde"].is_null(), "{p}");
    assert_eq!(p["dias_habiles_restantes"], 45);
    // A long wait for the e-mail is no lapse.
    clock.advance(days(80));
    let token = login(&app, &dev, "desarrollador");
    assert_eq!(current(&app, &token)["estatus"], "En espera de documentos");

    // Delivered today: 45 business days from today.
    sink.up();
    retry(&app);
    let entregado = today(&app);
    let token = login(&app, &dev, "desarrollador");
    let c = current(&app, &token);
    assert_eq!(c["plazo"]["iniciado"], true);
    assert_eq!(c["plazo"]["desde"], entregado.to_string());
    assert_eq!(
        c["plazo"]["vence"],
        business_days(entregado, 45).to_string()
    );

    // The evidence: the review has 5 business days from the upload.
    let set = test_set(&app, &folio, &token);
    let r = upload(
        &app,
        &folio,
        &token,
        workbook_xlsx(&set, &SampleOptions::default()),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let subida = today(&app);
    let review_ends = business_days(subida, 5);
    assert_eq!(r.json::<Value>()["plazo"]["vence"], review_ends.to_string());

    // The review runs late: «En análisis» for the developer, late in the analyst's tray.
    clock.advance(days(((review_ends - subida).num_days() + 3) as u64));
    let token = login(&app, &dev, "desarrollador");
    let c = current(&app, &token);
    assert_eq!(c["estatus"], "En análisis");
    assert_eq!(c["atrasada"], true);
    assert!(
        c["siguiente_paso"]
            .as_str()
            .unwrap()
            .contains("no afecta tu solicitud")
    );
    let atoken = login(&app, &analyst, "analista");
    assert!(
        analyst_tray(&app, &atoken, "vencida")["solicitudes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let row = analyst_tray(&app, &atoken, "en-analisis")["solicitudes"][0].clone();
    assert_eq!(row["folio"], folio.as_str());
    assert_eq!(row["atrasada"], true);
    let late_days =
        avisos_calendar::Calendar::official().business_days_between(review_ends, today(&app));
    assert!(late_days >= 1);
    assert_eq!(row["dias_de_atraso"], late_days);

    // Inconsistencias with the mail API down: the 10 days wait for the new set's e-mail.
    sink.down();
    let r = dictamen(
        &app,
        &analyst,
        &atoken,
        &folio,
        "inconsistencias",
        "Revisa el caso 1.",
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["notificaciones"][0]["estado"], "fallida");
    assert_eq!(v["certificacion"]["plazo"]["iniciado"], false);
    assert_eq!(v["certificacion"]["plazo"]["dias_habiles"], 10);
    clock.advance(days(30));
    sink.up();
    retry(&app);
    let entregado = today(&app);
    let token = login(&app, &dev, "desarrollador");
    let c = current(&app, &token);
    assert_eq!(c["estatus"], "En espera de documentos");
    assert_eq!(c["plazo"]["desde"], entregado.to_string());
    assert_eq!(
        c["plazo"]["vence"],
        business_days(entregado, 10).to_string()
    );
}
