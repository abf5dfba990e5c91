//! Scale-out (issue 9): two `avisos-host up` processes serve one shared store at once, as two
//! machines of a cluster would, and the rules that need atomicity still hold when the racing
//! requests land on different hosts: unique folios, single-use nonces, one live relation per
//! employer + developer + service, one winner between two cancellations.
//!
//! Each rule runs on Redis (Spin's `type = "redis"`, a private `redis-server`) and on the
//! embedded SQLite file shared by both processes. Needs `target/debug/avisos-host`
//! (`cargo build -p avisos-host`; `cargo test` builds it).

use std::collections::BTreeSet;

use avisos_e2e::*;
use avisos_host::kv::{RedisKv, SqliteKv};
use avisos_host::testing::{HostProcess, RedisServer, TestApp, TestRequest, TestResponse};
use serde_json::Value;

const TERMS: &str = "relaciones-de-confianza";

/// The shared store of a pair of hosts (a Redis server and/or a directory), dropped after
/// them: held only to be dropped.
struct Store {
    _redis: Option<RedisServer>,
    _dir: tempfile::TempDir,
}

struct Cluster {
    hosts: [HostProcess; 2],
    /// The shared store as a component sees it (to read what the acts stored).
    kv: HostKv,
    _store: Store,
}

/// A store's name and how to start a cluster on it.
type ClusterStart = (&'static str, fn() -> Cluster);

impl Cluster {
    fn a(&self) -> &TestApp {
        self.hosts[0].client()
    }
    fn b(&self) -> &TestApp {
        self.hosts[1].client()
    }
    /// Host `i % 2`, to spread requests.
    fn host(&self, i: usize) -> &TestApp {
        self.hosts[i % 2].client()
    }

    /// Sends each request to host `i % 2`, all at once on both hosts, answers in order.
    fn send_spread(&self, requests: Vec<TestRequest>) -> Vec<TestResponse> {
        let mut split: [Vec<(usize, TestRequest)>; 2] = [Vec::new(), Vec::new()];
        for (i, r) in requests.into_iter().enumerate() {
            split[i % 2].push((i, r));
        }
        let [even, odd] = split;
        fn run(part: Vec<(usize, TestRequest)>, app: &TestApp) -> Vec<(usize, TestResponse)> {
            let (idx, reqs): (Vec<_>, Vec<_>) = part.into_iter().unzip();
            idx.into_iter().zip(app.send_all(reqs)).collect()
        }
        let mut answers: Vec<(usize, TestResponse)> = std::thread::scope(|s| {
            let a = s.spawn(|| run(even, self.a()));
            let b = s.spawn(|| run(odd, self.b()));
            let mut all = a.join().unwrap();
            all.extend(b.join().unwrap());
            all
        });
        answers.sort_by_key(|(i, _)| *i);
        answers.into_iter().map(|(_, r)| r).collect()
    }

    /// `n` copies of the employer's act `accion` (each with its own nonce, prepared on the
    /// host that will receive it), sent at once over both hosts with the employer's session.
    fn race_act(
        &self,
        n: usize,
        e: &Employer,
        path: &str,
        accion: &str,
        fields: &[(&str, &str)],
    ) -> Vec<TestResponse> {
        let acts: Vec<Act> = (0..n)
            .map(|i| prepare(self.host(i), &e.signer, accion, None, fields))
            .collect();
        self.send_spread(
            acts.iter()
                .map(|a| act_request(path, a, Some(&e.token)))
                .collect(),
        )
    }
}

fn variables() -> Vec<String> {
    [
        ("modo", "demo".to_string()),
        ("confianza_efirma", "demo,sat-pruebas".to_string()),
        ("analistas", ANALISTA.to_string()),
        ("clave_sesion", TEST_SESSION_KEY.to_string()),
        ("clave_contrasena", TEST_PASSWORD_KEY.to_string()),
        ("llave_sello", test_seal_pem()),
        ("limites", TEST_LIMITS.to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| ["--variable".to_string(), format!("{k}={v}")])
    .collect()
}

fn on_redis() -> Cluster {
    on_redis_with(&[])
}

/// [`on_redis`] with more `--variable name=value` pairs.
fn on_redis_with(extra: &[(&str, String)]) -> Cluster {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            server.url(0)
        ),
    )
    .unwrap();
    let mut args = variables();
    args.extend(more_variables(extra));
    args.extend([
        "--runtime-config-file".to_string(),
        config.display().to_string(),
    ]);
    Cluster {
        hosts: [HostProcess::start(&args), HostProcess::start(&args)],
        kv: host_kv(std::sync::Arc::new(
            RedisKv::open(&server.url(0)).expect("Redis URL"),
        )),
        _store: Store {
            _redis: Some(server),
            _dir: dir,
        },
    }
}

fn on_sqlite() -> Cluster {
    on_sqlite_with(&[])
}

fn on_sqlite_with(extra: &[(&str, String)]) -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let mut args = variables();
    args.extend(more_variables(extra));
    args.extend(["--state-dir".to_string(), dir.path().display().to_string()]);
    Cluster {
        hosts: [HostProcess::start(&args), HostProcess::start(&args)],
        kv: host_kv(std::sync::Arc::new(
            SqliteKv::open(&dir.path().join("sqlite_key_value.db")).expect("SQLite file"),
        )),
        _store: Store {
            _redis: None,
            _dir: dir,
        },
    }
}

fn more_variables(extra: &[(&str, String)]) -> Vec<String> {
    extra
        .iter()
        .flat_map(|(k, v)| ["--variable".to_string(), format!("{k}={v}")])
        .collect()
}

fn clusters() -> [ClusterStart; 2] {
    [("redis", on_redis), ("sqlite", on_sqlite)]
}

fn act_request(path: &str, act: &Act, token: Option<&str>) -> TestRequest {
    let r = TestRequest::post(path).json(&Value::Object(act.body.clone()));
    match token {
        Some(t) => r.header("authorization", format!("Bearer {t}")),
        None => r,
    }
}

#[test]
fn folios_stay_unique_across_hosts() {
    for (store, start) in clusters() {
        let c = start();
        let patron = Signer::demo(PATRON);
        // Nonce from one host, act sent to the other: both see the same store.
        let acts: Vec<Act> = (0..120)
            .map(|i| {
                prepare(
                    c.host(i + 1),
                    &patron,
                    "ACEPTACION_TERMINOS",
                    Some(TERMS),
                    &[],
                )
            })
            .collect();
        let path = format!("/api/v1/terminos/{TERMS}/aceptaciones");
        let answers = c.send_spread(acts.iter().map(|a| act_request(&path, a, None)).collect());
        let folios: BTreeSet<String> = answers
            .iter()
            .map(|r| {
                assert_eq!(r.status, 201, "{store}: {}", r.text());
                r.json::<Value>()["folio"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(folios.len(), 120, "{store}: duplicated folios");
    }
}

#[test]
fn a_nonce_is_consumed_once_across_hosts() {
    for (store, start) in clusters() {
        let c = start();
        let act = prepare(
            c.a(),
            &Signer::demo(PATRON),
            "INICIO_SESION",
            None,
            &[("rol", "patron")],
        );
        let answers = c.send_spread(
            (0..16)
                .map(|_| act_request("/api/v1/sesiones", &act, None))
                .collect(),
        );
        let wins = answers.iter().filter(|r| r.status == 201).count();
        let used = answers
            .iter()
            .filter(|r| r.status == 409 && r.text().contains("NONCE_USADO"))
            .count();
        assert_eq!(
            (wins, used),
            (1, 15),
            "{store}: {:?}",
            answers.iter().map(TestResponse::text).collect::<Vec<_>>()
        );
    }
}

fn relations(app: &TestApp, e: &Employer) -> Vec<Value> {
    let r = get_with(app, "/api/v1/relaciones", &e.token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["relaciones"].as_array().unwrap().clone()
}

#[test]
fn one_live_relation_and_one_cancellation_across_hosts() {
    for (store, start) in clusters() {
        let c = start();
        let e = employer_with_certified_developer(c.a());
        let acts: Vec<Act> = (0..8).map(|i| add_relation_act(c.host(i), &e, 3)).collect();
        let answers = c.send_spread(
            acts.iter()
                .map(|a| act_request("/api/v1/relaciones", a, Some(&e.token)))
                .collect(),
        );
        let wins: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 201).collect();
        let duplicates = answers
            .iter()
            .filter(|r| r.status == 409 && r.text().contains("RELACION_DUPLICADA"))
            .count();
        assert_eq!(
            (wins.len(), duplicates),
            (1, 7),
            "{store}: {:?}",
            answers.iter().map(TestResponse::text).collect::<Vec<_>>()
        );
        // Both hosts list the same single relation.
        assert_eq!(relations(c.a(), &e).len(), 1, "{store}");
        assert_eq!(relations(c.b(), &e), relations(c.a(), &e), "{store}");
        let no_caso = wins[0].json::<Value>()["folio"]
            .as_str()
            .unwrap()
            .to_string();

        // Cancel against cancel, on both hosts at once: one acuse, the rest refused.
        let path = format!("/api/v1/relaciones/{no_caso}/cancelacion");
        let answers = c.race_act(6, &e, &path, "CANCELAR_RELACION", &[("no_caso", &no_caso)]);
        let wins = answers.iter().filter(|r| r.status == 201).count();
        let refused = answers
            .iter()
            .filter(|r| r.status == 409 && r.text().contains("RELACION_YA_CANCELADA"))
            .count();
        assert_eq!(
            (wins, refused),
            (1, 5),
            "{store}: {:?}",
            answers.iter().map(TestResponse::text).collect::<Vec<_>>()
        );
        let listed = relations(c.b(), &e);
        assert_eq!(listed.len(), 1, "{store}");
        assert_eq!(listed, relations(c.a(), &e), "{store}");
        let status = listed[0].to_string();
        assert!(status.contains("cancelada"), "{store}: {status}");
    }
}

fn password_status(app: &TestApp, e: &Employer) -> Value {
    let r = get_with(app, "/api/v1/contrasena-servicio", &e.token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn texts(answers: &[TestResponse]) -> Vec<String> {
    answers.iter().map(TestResponse::text).collect()
}

/// Issue 14: concurrent acts against one employer and one developer, spread over two hosts on
/// one store whose compare-and-swap answers lie as Spin's do (Redis: every swap `CasFailed`;
/// SQLite: a swap of an absent key is an upsert). Every answer matches what the store holds
/// afterwards: each 201 is one change, each refusal none.
#[test]
fn concurrent_acts_answer_what_the_store_holds() {
    for (store, start) in clusters() {
        let c = start();
        let mut e = employer_with_certified_developer(c.a());
        let developer = Signer::demo(DESARROLLADOR);
        let dev_token = login(c.b(), &developer, "desarrollador");
        let before = password_status(c.a(), &e)["generacion"].as_u64().unwrap();

        // Password generations at once.
        let answers = c.race_act(
            6,
            &e,
            "/api/v1/contrasena-servicio",
            "GENERAR_CONTRASENA",
            &[],
        );
        let mut generated: Vec<Value> = Vec::new();
        for r in &answers {
            match r.status {
                201 => generated.push(r.json()),
                _ => assert_error(r, 409, "CONTRASENA_MODIFICADA"),
            }
        }
        assert!(!generated.is_empty(), "{store}: {:?}", texts(&answers));
        let after = password_status(c.b(), &e);
        assert_eq!(
            after["generacion"].as_u64().unwrap(),
            before + generated.len() as u64,
            "{store}: each 201 is one generation, each 409 none: {:?}",
            texts(&answers)
        );
        let mut numbers: Vec<u64> = generated
            .iter()
            .map(|g| g["generacion"].as_u64().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            ((before + 1)..=(before + generated.len() as u64)).collect::<Vec<_>>(),
            "{store}: one answer per generation"
        );
        // The stored password is the one the newest answer showed, and each answer names the
        // generation it replaced.
        let current = generated
            .iter()
            .find(|g| g["generacion"] == after["generacion"])
            .expect("the current password was shown");
        assert_eq!(current["folio"], after["folio"], "{store}");
        for g in &generated {
            assert_eq!(
                g["anterior"]["generacion"].as_u64(),
                Some(g["generacion"].as_u64().unwrap() - 1),
                "{store}: {g}"
            );
        }
        e.password = current["contrasena"].as_str().unwrap().to_string();
        assert_eq!(after["usada"], false, "{store}: not used yet");

        // Relation additions at once with that password: one relation, the rest duplicates.
        let acts: Vec<Act> = (0..6).map(|i| add_relation_act(c.host(i), &e, 3)).collect();
        let answers = c.send_spread(
            acts.iter()
                .map(|a| act_request("/api/v1/relaciones", a, Some(&e.token)))
                .collect(),
        );
        let wins: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 201).collect();
        assert_eq!(wins.len(), 1, "{store}: {:?}", texts(&answers));
        for r in answers.iter().filter(|r| r.status != 201) {
            assert_error(r, 409, "RELACION_DUPLICADA");
        }
        let no_caso = wins[0].json::<Value>()["folio"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(relations(c.a(), &e).len(), 1, "{store}");
        assert_eq!(password_status(c.a(), &e)["usada"], true, "{store}");

        // A payroll system's consultations under load with the current password: all served.
        let body = serde_json::json!({ "rfc_patron": PATRON, "contrasena": e.password });
        let answers = c.send_spread(
            (0..16)
                .map(|_| {
                    TestRequest::post("/api/v1/avisos/consultas")
                        .header("authorization", format!("Bearer {dev_token}"))
                        .json(&body)
                })
                .collect(),
        );
        for r in &answers {
            assert_eq!(r.status, 200, "{store}: {}", r.text());
        }

        // Cancellations of the relation and of the password, at once on both hosts.
        let path = format!("/api/v1/relaciones/{no_caso}/cancelacion");
        let answers = c.race_act(4, &e, &path, "CANCELAR_RELACION", &[("no_caso", &no_caso)]);
        assert_eq!(
            answers.iter().filter(|r| r.status == 201).count(),
            1,
            "{store}: {:?}",
            texts(&answers)
        );
        for r in answers.iter().filter(|r| r.status != 201) {
            assert_error(r, 409, "RELACION_YA_CANCELADA");
        }
        assert!(relations(c.b(), &e)[0].to_string().contains("cancelada"));

        let answers = c.race_act(
            4,
            &e,
            "/api/v1/contrasena-servicio/cancelacion",
            "CANCELAR_CONTRASENA",
            &[],
        );
        let wins: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 201).collect();
        assert_eq!(wins.len(), 1, "{store}: {:?}", texts(&answers));
        for r in answers.iter().filter(|r| r.status != 201) {
            assert!(
                r.text().contains("CONTRASENA_MODIFICADA")
                    || r.text().contains("CONTRASENA_NO_GENERADA"),
                "{store}: {}",
                r.text()
            );
        }
        let after = password_status(c.a(), &e);
        assert_eq!(after["estado"], "cancelada", "{store}");
        assert_eq!(
            after["folio_cancelacion"],
            wins[0].json::<Value>()["folio"],
            "{store}: the stored cancellation is the one answered"
        );
    }
}

/// Issue 14: evidence uploads of one request at once on both hosts: one is accepted, the
/// others refused, and the stored request holds exactly the accepted upload, listed once in
/// the analyst's tray.
#[test]
fn concurrent_evidence_uploads_answer_what_the_store_holds() {
    use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
    use avisos_kv::KeyValue;
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for (store, start) in clusters() {
        let c = start();
        let dev = Signer::demo(DESARROLLADOR_2);
        let token = login(c.a(), &dev, "desarrollador");
        let act = prepare(
            c.a(),
            &dev,
            "SOLICITAR_CERTIFICACION",
            Some("certificacion-solicitud"),
            &[
                ("razon_social", "SERVICIOS DE NOMINA SA DE CV"),
                ("correo", "certificacion@nomina.example"),
            ],
        );
        let r = send_act_as(c.a(), "/api/v1/certificaciones", &act, &token);
        assert_eq!(r.status, 201, "{store}: {}", r.text());
        let folio = r.json::<Value>()["folio"].as_str().unwrap().to_string();
        let stored = |kv: &HostKv| -> Value {
            let raw = kv.get(&format!("certificacion:{folio}")).unwrap().unwrap();
            serde_json::from_slice(&raw).unwrap()
        };
        let ronda = stored(&c.kv)["rondas"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        let set = avisos_evidence::generate(&avisos_evidence::TestSetId {
            semilla: ronda["semilla"].as_u64().unwrap(),
            folio: folio.clone(),
            ronda: ronda["ronda"].as_u64().unwrap() as u32,
            fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
        });
        let workbook = workbook_xlsx(&set, &SampleOptions::default());
        let answers = c.send_spread(
            (0..4)
                .map(|_| {
                    TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
                        .header("authorization", format!("Bearer {token}"))
                        .header("content-type", XLSX)
                        .header("x-nombre-archivo", "evidencias.xlsx")
                        .body(workbook.clone())
                })
                .collect(),
        );
        let accepted: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 201).collect();
        assert_eq!(accepted.len(), 1, "{store}: {:?}", texts(&answers));
        for r in answers.iter().filter(|r| r.status != 201) {
            assert!(
                r.status == 409
                    && (r.text().contains("CERTIFICACION_MODIFICADA")
                        || r.text().contains("ESTATUS_NO_PERMITE_EVIDENCIAS")),
                "{store}: {}",
                r.text()
            );
        }
        let record = stored(&c.kv);
        assert_eq!(record["estatus"], "en-analisis", "{store}: {record}");
        let evidencia = &record["rondas"].as_array().unwrap().last().unwrap()["evidencia"];
        assert_eq!(
            evidencia["sha256"],
            accepted[0].json::<Value>()["evidencia"]["sha256"],
            "{store}"
        );
        let analyst = Signer::demo(ANALISTA);
        let atoken = login(c.b(), &analyst, "analista");
        let tray: Value = get_with(
            c.b(),
            "/api/v1/analistas/certificaciones?estatus=en-analisis",
            &atoken,
        )
        .json();
        let listed = tray["solicitudes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["folio"] == folio.as_str())
            .count();
        assert_eq!(listed, 1, "{store}: {tray}");
    }
}

// ------------------------------------------------------------------------------------------
// Issue 15, item 8: the two read-modify-writes that are compare-and-swap loops now.

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const NOMBRE_DEV: &str = "NOMINAS DEMOSTRACION SA DE CV";

/// Takes `dev` through the certification workflow up to «Certificación autorizada» on host
/// `app`; returns the request's folio.
fn certify_by_workflow(c: &Cluster, dev: &Signer) -> String {
    use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
    use avisos_kv::KeyValue;
    let app = c.a();
    let token = login(app, dev, "desarrollador");
    let act = prepare(
        app,
        dev,
        "SOLICITAR_CERTIFICACION",
        Some("certificacion-solicitud"),
        &[("razon_social", NOMBRE_DEV), ("correo", "dev@example.com")],
    );
    let r = send_act_as(app, "/api/v1/certificaciones", &act, &token);
    assert_eq!(r.status, 201, "{}", r.text());
    let folio = r.json::<Value>()["folio"].as_str().unwrap().to_string();
    let raw =
        c.kv.get(&format!("certificacion:{folio}"))
            .unwrap()
            .unwrap();
    let record: Value = serde_json::from_slice(&raw).unwrap();
    let ronda = record["rondas"].as_array().unwrap().last().unwrap().clone();
    let set = avisos_evidence::generate(&avisos_evidence::TestSetId {
        semilla: ronda["semilla"].as_u64().unwrap(),
        folio: folio.clone(),
        ronda: ronda["ronda"].as_u64().unwrap() as u32,
        fecha: ronda["fecha"].as_str().unwrap().parse().unwrap(),
    });
    let r = app.send(
        TestRequest::post(format!("/api/v1/certificaciones/{folio}/evidencias"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", XLSX)
            .header("x-nombre-archivo", "evidencias.xlsx")
            .body(workbook_xlsx(&set, &SampleOptions::default())),
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
    let path = format!("/api/v1/analistas/certificaciones/{folio}/dictamen");
    let r = send_act_as(app, &path, &act, &atoken);
    assert_eq!(r.status, 201, "{}", r.text());
    let act = prepare(
        app,
        dev,
        "ACEPTAR_APROBACION",
        Some("certificacion-aprobacion"),
        &[("folio", &folio)],
    );
    let path = format!("/api/v1/certificaciones/{folio}/aceptacion");
    let r = send_act_as(app, &path, &act, &token);
    assert_eq!(r.status, 201, "{}", r.text());
    folio
}

/// Issue 15: a developer cancelling its certification on one host while an analyst registers
/// it again on the other. The directory record is changed by compare-and-swap, and the
/// cancellation records itself there only while the record still names its request: whichever
/// lands first, the analyst's registration is never lost, and the search shows exactly it.
#[test]
fn a_cancellation_racing_an_analysts_registration_loses_neither() {
    use avisos_kv::KeyValue;
    for (store, start) in clusters() {
        let c = start();
        let dev = Signer::demo(DESARROLLADOR);
        let analyst = Signer::demo(ANALISTA);
        for round in 0..3 {
            let folio = certify_by_workflow(&c, &dev);
            let name = format!("NOMINAS REGISTRO {round} SA DE CV");
            let token = login(c.a(), &dev, "desarrollador");
            let cancel = prepare(
                c.a(),
                &dev,
                "CANCELAR_CERTIFICACION",
                Some("certificacion-cancelacion"),
                &[("folio", &folio)],
            );
            let atoken = login(c.b(), &analyst, "analista");
            let register = prepare(
                c.b(),
                &analyst,
                "REGISTRAR_DESARROLLADOR",
                None,
                &[
                    ("rfc_desarrollador", DESARROLLADOR),
                    ("razon_social", &name),
                    ("estatus", "autorizada"),
                ],
            );
            let answers = c.send_spread(vec![
                act_request(
                    &format!("/api/v1/certificaciones/{folio}/cancelacion"),
                    &cancel,
                    Some(&token),
                ),
                act_request("/api/v1/desarrolladores/registro", &register, Some(&atoken)),
            ]);
            for r in &answers {
                assert_eq!(r.status, 201, "{store}: {}", r.text());
            }
            let raw = c.kv.get(&format!("desarrollador:{DESARROLLADOR}")).unwrap();
            let stored: Value = serde_json::from_slice(&raw.unwrap()).unwrap();
            assert_eq!(
                (stored["estatus"].as_str(), stored["razon_social"].as_str()),
                (Some("autorizada"), Some(name.as_str())),
                "{store}, round {round}: {stored}"
            );
            let ptoken = login(c.b(), &Signer::demo(PATRON), "patron");
            let found: Value = get_with(c.b(), "/api/v1/desarrolladores?q=nominas", &ptoken).json();
            let names: Vec<&str> = found["resultados"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["razon_social"].as_str().unwrap())
                .collect();
            assert_eq!(names, [name.as_str()], "{store}, round {round}");
            // Every search bucket agrees with the record: the request's name is in none.
            for bucket in ["NO", "ND", "DE"] {
                let raw = c.kv.get(&format!("directorio:prefijo:{bucket}")).unwrap();
                let text = String::from_utf8(raw.unwrap_or_default()).unwrap();
                assert!(
                    !text.contains(NOMBRE_DEV),
                    "{store}: bucket {bucket}: {text}"
                );
            }
        }
    }
}

/// A mail API that counts what it receives per `referencia` and answers 202 (or refuses
/// connections while down).
struct Sink {
    addr: std::net::SocketAddr,
    received: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Sink {
    fn start() -> Sink {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, u) = (received.clone(), up.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                if !u.load(Ordering::SeqCst) {
                    // Down: the connection is dropped unanswered.
                    continue;
                }
                let r = r.clone();
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                        .unwrap();
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 65536];
                    // The body is JSON with `referencia`; read until the request is whole.
                    while let Ok(n) = s.read(&mut chunk) {
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf);
                        if let Some(at) = text.find("\"referencia\":\"") {
                            let rest = &text[at + 14..];
                            if let Some(end) = rest.find('"') {
                                let id = rest[..end].to_string();
                                // Slow enough for concurrent senders to overlap.
                                std::thread::sleep(std::time::Duration::from_millis(50));
                                r.lock().unwrap().push(id);
                                let _ = s.write_all(
                                    b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                                );
                                break;
                            }
                        }
                    }
                });
            }
        });
        Sink { addr, received, up }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
    }

    fn variables(&self) -> Vec<(&'static str, String)> {
        vec![
            ("correo_api_url", format!("http://{}/enviar", self.addr)),
            ("correo_api_origen", format!("http://{}", self.addr)),
        ]
    }
}

/// Issue 15: notifications whose first send failed, retried by eight analysts' calls at once
/// over both hosts. Sending is claimed with compare-and-swap: every mail goes out exactly once,
/// each is recorded sent, and the calls' own counts add up to the notifications sent.
#[test]
fn concurrent_retries_send_each_notification_once() {
    for store in ["redis", "sqlite"] {
        let sink = Sink::start();
        let vars = sink.variables();
        let c = match store {
            "redis" => on_redis_with(&vars),
            _ => on_sqlite_with(&vars),
        };
        // Two requests while the mail API is down: two notifications, failed and queued.
        for (rfc, name) in [
            (DESARROLLADOR, NOMBRE_DEV),
            (DESARROLLADOR_2, "SISTEMAS DE NOMINA DEMO SC"),
        ] {
            let dev = Signer::demo(rfc);
            let token = login(c.a(), &dev, "desarrollador");
            let act = prepare(
                c.a(),
                &dev,
                "SOLICITAR_CERTIFICACION",
                Some("certificacion-solicitud"),
                &[("razon_social", name), ("correo", "dev@example.com")],
            );
            let r = send_act_as(c.a(), "/api/v1/certificaciones", &act, &token);
            assert_eq!(r.status, 201, "{store}: {}", r.text());
            let n = &r.json::<Value>()["notificaciones"][0];
            assert_eq!(n["estado"], "fallida", "{store}: {n}");
        }
        sink.set_up(true);
        let analyst = Signer::demo(ANALISTA);
        let tokens = [
            login(c.a(), &analyst, "analista"),
            login(c.b(), &analyst, "analista"),
        ];
        let answers = c.send_spread(
            (0..8)
                .map(|i| {
                    TestRequest::post("/api/v1/notificaciones/reintentos")
                        .header("authorization", format!("Bearer {}", tokens[i % 2]))
                })
                .collect(),
        );
        let mut sent = 0;
        for r in &answers {
            assert_eq!(r.status, 200, "{store}: {}", r.text());
            sent += r.json::<Value>()["enviadas"].as_u64().unwrap();
        }
        let mut received = sink.received.lock().unwrap().clone();
        received.sort();
        let before = received.len();
        received.dedup();
        assert_eq!(before, received.len(), "{store}: a mail went out twice");
        assert_eq!(received.len(), 2, "{store}: {received:?}");
        assert_eq!(sent, 2, "{store}: the calls' counts");
        let last: Value = c
            .a()
            .send(
                TestRequest::post("/api/v1/notificaciones/reintentos")
                    .header("authorization", format!("Bearer {}", tokens[0])),
            )
            .json();
        assert_eq!(last["pendientes"], 0, "{store}: {last}");
    }
}
