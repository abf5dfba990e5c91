//! A test client for the avisos API that behaves like a real integrator: it holds an e.firma
//! (certificate + decrypted key, client side only), asks for nonces, builds the cadena original
//! exactly as the API reference documents it, signs, and sends certificate + data + signature.
//!
//! It deliberately does not reuse the server's cadena code (`avisos-acts`): if the documentation
//! and the server drift apart, these tests fail.

use std::path::PathBuf;

pub mod walk;

use avisos_host::kv::{KvBackend, SwapError};
use avisos_host::testing::{TestApp, TestOptions, TestRequest, TestResponse, workspace_root};
use avisos_kv::CheckedKv;
use avisos_kv::checked::{RawStore, SwapAnswer};
use base64::Engine;
use efirma::{Certificate, PrivateKey};
use serde_json::{Map, Value, json};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Password of every demo key (static/demo/LEEME.txt).
pub const DEMO_PASSWORD: &str = "demo12345";
/// Demo identities (static/demo/efirma).
pub const PATRON: &str = "EDE200101AB0";
pub const PATRON_FISICA: &str = "DELP900303MN5";
pub const DESARROLLADOR: &str = "NDE190512XY6";
pub const DESARROLLADOR_2: &str = "SDN180301K23";
pub const ANALISTA: &str = "AIGL850215QR5";

/// A fixed session key and seal key for tests, so no test pays for key generation.
pub const TEST_SESSION_KEY: &str = "clave-de-sesion-solo-para-pruebas-0123456789";
/// `clave_contrasena` of the tests (the service passwords' HMAC key).
pub const TEST_PASSWORD_KEY: &str = "clave-de-contrasenas-solo-para-pruebas-0123456789";

pub fn test_seal_pem() -> String {
    std::fs::read_to_string(workspace_root().join("shared/acts/testdata/sello-pruebas.pem"))
        .expect("test seal key")
}

/// Rate limits high enough for tests that send hundreds of acts as one RFC (tests of the
/// limits themselves set their own).
pub const TEST_LIMITS: &str = "actos=100000/60,sesiones=100000/60,actos_cliente=100000/60,firmas_fallidas=100000/60,nonces=100000/60,nonces_cliente=100000/60,tablas=100000/60,consultas=100000/60,bitacora=100000/60,directorio=100000/60,evidencias=100000/60,descargas=100000/60,lecturas_cliente=100000/60";

/// The app's own spin.toml in demo mode with fixed secrets.
pub fn app_options() -> TestOptions {
    TestOptions::app()
        .variable("limites", TEST_LIMITS)
        .variable("modo", "demo")
        .variable("confianza_efirma", "demo,sat-pruebas")
        .variable("analistas", ANALISTA)
        .variable("clave_sesion", TEST_SESSION_KEY)
        .variable("clave_contrasena", TEST_PASSWORD_KEY)
        .variable("llave_sello", test_seal_pem())
}

pub fn start() -> TestApp {
    TestApp::start(app_options())
}

/// An e.firma held by a client.
pub struct Signer {
    pub rfc: String,
    pub certificate: Vec<u8>,
    pub key: PrivateKey,
}

impl Signer {
    /// One of the project's demo credentials.
    pub fn demo(rfc: &str) -> Signer {
        let dir = workspace_root().join("static/demo/efirma").join(rfc);
        Signer::open(
            dir.join("certificado.cer"),
            dir.join("clave.key"),
            DEMO_PASSWORD.as_bytes(),
        )
    }

    /// One of SAT's test credentials (shared/efirma/testdata/sat/<folder>).
    pub fn sat(folder: &str) -> Signer {
        let dir = workspace_root()
            .join("shared/efirma/testdata/sat")
            .join(folder);
        let password = std::fs::read(dir.join("password.txt")).expect("password");
        Signer::open(
            dir.join("certificate.cer"),
            dir.join("private_key.key"),
            &password,
        )
    }

    pub fn open(cer: PathBuf, key: PathBuf, password: &[u8]) -> Signer {
        let certificate = std::fs::read(&cer).unwrap_or_else(|e| panic!("{}: {e}", cer.display()));
        let key_bytes = std::fs::read(&key).unwrap_or_else(|e| panic!("{}: {e}", key.display()));
        let key = PrivateKey::decrypt(&key_bytes, password).expect("key decrypts");
        let rfc = Certificate::parse(&certificate)
            .expect("certificate parses")
            .rfc()
            .expect("certificate has an RFC")
            .to_string();
        Signer {
            rfc,
            certificate,
            key,
        }
    }

    pub fn sign(&self, cadena: &str) -> String {
        B64.encode(self.key.sign(cadena.as_bytes()).expect("signs"))
    }
}

/// The cadena original as the API reference documents it (schema `ActoFirmado`).
pub fn cadena(
    accion: &str,
    rfc: &str,
    fecha: &str,
    nonce: &str,
    terminos_sha256: &str,
    datos: &[(&str, &str)],
) -> String {
    let mut fields: Vec<String> = vec![
        "AVISOS".into(),
        "1".into(),
        accion.into(),
        rfc.into(),
        fecha.into(),
        nonce.into(),
        terminos_sha256.into(),
    ];
    fields.extend(datos.iter().map(|(n, v)| format!("{n}={v}")));
    efirma::cadena::cadena_original(&fields)
}

/// Everything needed to send one act; tests tamper with fields before sending.
#[derive(Debug, Clone)]
pub struct Act {
    pub accion: String,
    pub body: Map<String, Value>,
    pub cadena: String,
}

/// A host clock that reads 12:00 of the current day in Mexico City (UTC−6 all year since 2022)
/// and ticks from there: a test that runs for many minutes and compares what the rules computed
/// for "today" (vigencias, deadlines) never crosses midnight, whenever it is run.
pub fn midday_clock() -> avisos_host::TestClock {
    let now = chrono::Utc::now();
    let noon_in_mexico = now
        .date_naive()
        .and_hms_opt(18, 0, 0)
        .expect("18:00")
        .and_utc();
    let clock = avisos_host::TestClock::new();
    clock.set_now(noon_in_mexico.into());
    clock
}

/// The current instant in America/Mexico_City as ISO 8601, from the app's own clock
/// (`/api/v1/salud`), so tests that move the host's clock sign consistent dates.
pub fn server_now(app: &TestApp) -> String {
    let salud: Value = app.get("/api/v1/salud").json();
    salud["hora"].as_str().expect("hora").to_string()
}

pub fn nonce(app: &TestApp, rfc: &str, accion: &str) -> String {
    let r =
        app.send(TestRequest::post("/api/v1/nonces").json(&json!({"rfc": rfc, "accion": accion})));
    assert_eq!(r.status, 201, "nonce: {}", r.text());
    r.json::<Value>()["nonce"]
        .as_str()
        .expect("nonce")
        .to_string()
}

/// SHA-256 of the current terms `id`, as served.
pub fn terms_hash(app: &TestApp, id: &str) -> String {
    let r = app.get(&format!("/api/v1/terminos/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["sha256"]
        .as_str()
        .expect("sha256")
        .to_string()
}

/// The JSON body of a signed act and its cadena original, for a nonce and fecha already obtained.
pub fn signed_body(
    signer: &Signer,
    accion: &str,
    nonce: &str,
    fecha: &str,
    terms_sha: Option<&str>,
    datos: &[(&str, &str)],
) -> (Map<String, Value>, String) {
    let cadena = cadena(
        accion,
        &signer.rfc,
        fecha,
        nonce,
        terms_sha.unwrap_or(""),
        datos,
    );
    let mut body = Map::new();
    body.insert("rfc".into(), json!(signer.rfc));
    body.insert("nonce".into(), json!(nonce));
    body.insert("fecha".into(), json!(fecha));
    body.insert(
        "datos".into(),
        Value::Object(
            datos
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        ),
    );
    if let Some(sha) = terms_sha {
        body.insert("acepto_terminos".into(), json!(true));
        body.insert("terminos_sha256".into(), json!(sha));
    }
    body.insert("certificado".into(), json!(B64.encode(&signer.certificate)));
    body.insert("firma".into(), json!(signer.sign(&cadena)));
    (body, cadena)
}

/// Prepares a signed act: nonce, fecha, cadena, signature.
pub fn prepare(
    app: &TestApp,
    signer: &Signer,
    accion: &str,
    terms: Option<&str>,
    datos: &[(&str, &str)],
) -> Act {
    let nonce = nonce(app, &signer.rfc, accion);
    let fecha = server_now(app);
    let sha = terms.map(|t| terms_hash(app, t));
    let (body, cadena) = signed_body(signer, accion, &nonce, &fecha, sha.as_deref(), datos);
    Act {
        accion: accion.into(),
        body,
        cadena,
    }
}

pub fn send_act(app: &TestApp, path: &str, act: &Act) -> TestResponse {
    app.send(TestRequest::post(path).json(&Value::Object(act.body.clone())))
}

/// Logs in with e.firma and returns the Bearer token.
pub fn login(app: &TestApp, signer: &Signer, rol: &str) -> String {
    let act = prepare(app, signer, "INICIO_SESION", None, &[("rol", rol)]);
    let r = send_act(app, "/api/v1/sesiones", &act);
    assert_eq!(r.status, 201, "login: {}", r.text());
    r.json::<Value>()["token"]
        .as_str()
        .expect("token")
        .to_string()
}

pub fn get_with(app: &TestApp, path: &str, token: &str) -> TestResponse {
    app.send(TestRequest::get(path).header("authorization", format!("Bearer {token}")))
}

/// Asserts an error response's status and code, and that its message is Spanish text.
#[track_caller]
pub fn assert_error(r: &TestResponse, status: u16, codigo: &str) {
    let body: Value = serde_json::from_slice(&r.body)
        .unwrap_or_else(|_| panic!("error body is not JSON ({}): {}", r.status, r.text()));
    assert_eq!(
        (r.status, body["codigo"].as_str().unwrap_or("")),
        (status, codigo),
        "{}",
        r.text()
    );
    assert!(
        body["mensaje"].as_str().is_some_and(|m| !m.is_empty()),
        "mensaje missing: {}",
        r.text()
    );
}

/// Sends a signed act with the signer's session (acts that also require one).
pub fn send_act_as(app: &TestApp, path: &str, act: &Act, token: &str) -> TestResponse {
    app.send(
        TestRequest::post(path)
            .header("authorization", format!("Bearer {token}"))
            .json(&Value::Object(act.body.clone())),
    )
}

/// Whether a body starts like a ZIP container, which an .xlsx workbook is.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// A running host's `default` store exactly as a component sees it: Spin's compare-and-swap
/// answers included (see `avisos_host::kv`).
pub struct HostStore(pub std::sync::Arc<dyn KvBackend>);

fn down(e: avisos_host::kv::KvError) -> avisos_kv::KvError {
    avisos_kv::KvError::from_store(e.0)
}

impl RawStore for HostStore {
    type Cas = Box<dyn avisos_host::kv::CasOp>;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, avisos_kv::KvError> {
        self.0.get("default", key).map_err(down)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), avisos_kv::KvError> {
        self.0.set("default", key, value).map_err(down)
    }
    fn delete(&self, key: &str) -> Result<(), avisos_kv::KvError> {
        self.0.delete("default", key).map_err(down)
    }
    fn exists(&self, key: &str) -> Result<bool, avisos_kv::KvError> {
        self.0.exists("default", key).map_err(down)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, avisos_kv::KvError> {
        self.0.increment("default", key, delta).map_err(down)
    }
    fn cas_current(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), avisos_kv::KvError> {
        let mut op = self.0.new_cas("default", key).map_err(down)?;
        let current = op.current().map_err(down)?;
        Ok((op, current))
    }
    fn cas_swap(&self, mut op: Self::Cas, value: &[u8]) -> SwapAnswer {
        match op.swap(value) {
            Ok(()) => SwapAnswer::Done,
            Err(SwapError::CasFailed(_)) => SwapAnswer::CasFailed,
            Err(SwapError::Other(e)) => SwapAnswer::StoreError(down(e)),
        }
    }
}

/// `avisos_kv::KeyValue` over a running host's `default` store, as components use theirs
/// (`avisos_kv::CheckedKv`), to seed data the way a migration would (bulk loads that would take
/// minutes as signed acts) and to look at what acts stored.
pub type HostKv = CheckedKv<HostStore>;

/// [`HostKv`] over `backend`.
pub fn host_kv(backend: std::sync::Arc<dyn KvBackend>) -> HostKv {
    use std::sync::atomic::{AtomicU64, Ordering};
    // Unique across processes sharing a store: the process id and the start time seed it.
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let next = AtomicU64::new(start ^ (u64::from(std::process::id()) << 40));
    CheckedKv::new(
        HostStore(backend),
        || chrono::Utc::now().timestamp(),
        move || next.fetch_add(1, Ordering::Relaxed),
    )
}

/// The `default` store of a running test app.
pub fn host_kv_of(app: &TestApp) -> HostKv {
    let backend = app
        .app()
        .and_then(|a| a.stores().get("default").cloned())
        .expect("the app has a default store");
    host_kv(backend)
}

/// An employer logged in, with its service password.
pub struct Employer {
    pub signer: Signer,
    pub token: String,
    pub password: String,
}

/// `REGISTRAR_DESARROLLADOR` by the demo analyst: sets a developer's certification status.
pub fn register_developer(app: &TestApp, rfc: &str, name: &str, estatus: &str) -> TestResponse {
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

/// [`register_developer`] as certified (`autorizada`).
pub fn certify(app: &TestApp, rfc: &str, name: &str) {
    let r = register_developer(app, rfc, name, "autorizada");
    assert_eq!(r.status, 201, "{}", r.text());
}

/// `GENERAR_CONTRASENA`: the answer (`contrasena`, its generation…).
pub fn generate_password(app: &TestApp, signer: &Signer, token: &str) -> Value {
    let act = prepare(app, signer, "GENERAR_CONTRASENA", None, &[]);
    let r = send_act_as(app, "/api/v1/contrasena-servicio", &act, token);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// A fresh service password of the signer's employer.
pub fn new_password(app: &TestApp, signer: &Signer, token: &str) -> String {
    generate_password(app, signer, token)["contrasena"]
        .as_str()
        .expect("contrasena")
        .to_string()
}

/// The demo employer `rfc`, logged in, with a fresh service password.
pub fn employer(app: &TestApp, rfc: &str) -> Employer {
    let signer = Signer::demo(rfc);
    let token = login(app, &signer, "patron");
    let password = new_password(app, &signer, &token);
    Employer {
        signer,
        token,
        password,
    }
}

/// [`PATRON`] with its password, after the analyst registered [`DESARROLLADOR`] as certified:
/// the starting point of the scale, fault and avisos tests.
pub fn employer_with_certified_developer(app: &TestApp) -> Employer {
    certify(app, DESARROLLADOR, "NOMINAS DEMOSTRACION SA DE CV");
    employer(app, PATRON)
}

/// `ADICIONAR_RELACION` of [`DESARROLLADOR`] for Avisos, from the service's today for `months`,
/// with the employer's service password beside the signed data.
pub fn add_relation_act(app: &TestApp, e: &Employer, months: u32) -> Act {
    let table: Value = get_with(app, "/api/v1/relaciones", &e.token).json();
    let hoy: chrono::NaiveDate = table["hoy"].as_str().unwrap().parse().unwrap();
    let fin = (hoy + chrono::Months::new(months)).to_string();
    let mut act = prepare(
        app,
        &e.signer,
        "ADICIONAR_RELACION",
        Some("relaciones-de-confianza"),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", DESARROLLADOR),
            ("inicio_vigencia", &hoy.to_string()),
            ("fin_vigencia", &fin),
        ],
    );
    act.body.insert("contrasena".into(), json!(e.password));
    act
}

/// The service's today (America/Mexico_City), from its clock.
pub fn service_today(app: &TestApp) -> chrono::NaiveDate {
    server_now(app)[..10].parse().expect("hora")
}

/// `e` relates [`DESARROLLADOR`] for Avisos for a year.
pub fn relate_for_avisos(app: &TestApp, e: &Employer) {
    let act = add_relation_act(app, e, 12);
    let r = send_act_as(app, "/api/v1/relaciones", &act, &e.token);
    assert_eq!(r.status, 201, "{}", r.text());
}

/// `CANCELAR_RELACION` of `no_caso` by the employer, with its session.
pub fn cancel_relation(app: &TestApp, e: &Employer, no_caso: &str) -> TestResponse {
    let act = prepare(
        app,
        &e.signer,
        "CANCELAR_RELACION",
        None,
        &[("no_caso", no_caso)],
    );
    let path = format!("/api/v1/relaciones/{no_caso}/cancelacion");
    send_act_as(app, &path, &act, &e.token)
}

/// The body of `PUBLICAR_AVISOS` by `analyst`: the signed act with `avisos` spliced in as
/// exactly `raw` (the signed hash covers those bytes).
pub fn publication_body(
    app: &TestApp,
    analyst: &Signer,
    patron: &str,
    raw: &str,
    total: usize,
) -> Vec<u8> {
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let total = total.to_string();
    let act = prepare(
        app,
        analyst,
        "PUBLICAR_AVISOS",
        None,
        &[
            ("rfc_patron", patron),
            ("total_avisos", &total),
            ("avisos_sha256", &sha),
        ],
    );
    let mut s = serde_json::to_string(&Value::Object(act.body)).unwrap();
    s.pop();
    s.push_str(",\"avisos\": ");
    s.push_str(raw);
    s.push('}');
    s.into_bytes()
}

/// The demo analyst publishes `rows` for `patron` (a login and a signed act).
pub fn publish_avisos(app: &TestApp, patron: &str, rows: &[Value]) -> TestResponse {
    let analyst = Signer::demo(ANALISTA);
    let token = login(app, &analyst, "analista");
    // Pretty-printed on purpose: the hash covers the bytes as sent, whatever their layout.
    let raw = serde_json::to_string_pretty(rows).unwrap();
    let body = publication_body(app, &analyst, patron, &raw, rows.len());
    app.send(
        TestRequest::post("/api/v1/avisos/publicaciones")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body),
    )
}

/// What the benchmark drivers in `examples/` share (a loopback client, flags, memory marks).
pub mod bench;
