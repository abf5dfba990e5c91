//! Every act of the workflow, whole or absent: the store fails at each of its operations in
//! turn (`avisos_kv::faults::walk`, both without effect and with its answer lost), and what
//! readers see — the developer's request, the analysts' trays, the directory and access, the
//! inbox — is exactly as before the act or exactly as after it; a retry then ends exactly as
//! after. Also the concurrent writers of items 8: one send per notification, the outcome never
//! lost, the directory's status never lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_kv::faults::{Fault, Snapshot, walk};
use avisos_kv::{KeyValue, MemoryKv};
use avisos_relations::directory::{self, CertStatus};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::notify::{self, Estado, MailConfig, MailRequest};
use crate::record;
use crate::status::Estatus;
use crate::testutil::*;
use crate::workflow::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn now() -> DateTime<Utc> {
    t0()
}

fn solicitar(kv: &dyn KeyValue) {
    let act = act(
        DEV,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[
            ("razon_social", name_of(DEV)),
            ("correo", "dev@example.com"),
        ],
    );
    let _ = request(kv, &seal(), &act, 42, true, now());
}

fn folio(kv: &dyn KeyValue) -> String {
    current(kv, &session(DEV, Role::Desarrollador))
        .unwrap()
        .folio
}

fn subir(kv: &dyn KeyValue, folio: &str, bytes: &[u8]) {
    let _ = upload(
        kv,
        &session(DEV, Role::Desarrollador),
        folio,
        &Upload {
            bytes,
            file_name: "evidencias.xlsx",
            content_type: XLSX,
            carga: "c1",
        },
        now(),
    );
}

fn workbook(kv: &dyn KeyValue, folio: &str) -> Vec<u8> {
    let c = record::load(kv, folio).unwrap().unwrap();
    workbook_xlsx(
        &avisos_evidence::generate(&c.test_set_id()),
        &SampleOptions::default(),
    )
}

fn dictaminar_(kv: &dyn KeyValue, folio: &str, resultado: &str) {
    let act = act(
        ANALISTA,
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &[
            ("folio", folio),
            ("resultado", resultado),
            ("observaciones", "Revisa el caso 1."),
        ],
    );
    let _ = dictaminar(kv, &seal(), &act, 7, true, now());
}

fn aceptar(kv: &dyn KeyValue, folio: &str) {
    let act = act(
        DEV,
        actions::ACEPTAR_APROBACION,
        Some(TermsId::CertificacionAprobacion),
        &[("folio", folio)],
    );
    let _ = accept(
        kv,
        &seal(),
        &session(DEV, Role::Desarrollador),
        &act,
        true,
        now(),
    );
}

fn cancelar(kv: &dyn KeyValue, folio: &str) {
    let act = act(
        DEV,
        actions::CANCELAR_CERTIFICACION,
        Some(TermsId::CertificacionCancelacion),
        &[("folio", folio)],
    );
    let _ = cancel(
        kv,
        &seal(),
        &session(DEV, Role::Desarrollador),
        &act,
        "tok",
        true,
        now(),
    );
}

/// Folios and notification ids (ten digits) as `#`: a retry allocates new ones.
fn normalize(v: Value) -> Value {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 10 {
            out.push('#');
        } else {
            out.extend(&chars[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    serde_json::from_str(&out).unwrap()
}

/// What readers see of DEV's certification: its request as the developer sees it, every tray,
/// the directory (record, search, whether relations may be added), the inbox, the mail queue
/// (confirmed entries) and whether a new request would be accepted.
fn observe(kv: &MemoryKv) -> Value {
    let s = session(DEV, Role::Desarrollador);
    let actual = current(kv, &s).ok().map(|c| {
        let cal = calendar_of(kv, &c).unwrap();
        // The stored workbook, as the analyst downloads it.
        let evidencia = c.rondas.iter().any(|r| r.evidencia.is_some()).then(|| {
            stored_workbook(kv, &c, None)
                .map(|(_, bytes)| bytes.len())
                .map_err(|e| e.codigo)
        });
        json!([
            crate::view::view(&c, &cal, now(), crate::view::Viewer::Desarrollador),
            evidencia
        ])
    });
    let trays: Vec<Value> = [
        Estatus::EnEspera,
        Estatus::EnAnalisis,
        Estatus::Aprobado,
        Estatus::Autorizada,
        Estatus::Cancelada,
        Estatus::Vencida,
    ]
    .iter()
    .map(|e| {
        let tray = list(kv, *e, 1, now()).unwrap().solicitudes;
        json!(
            tray.iter()
                .map(|v| (&v.folio, v.estatus))
                .collect::<Vec<_>>()
        )
    })
    .collect();
    let developer = directory::load(kv, DEV)
        .unwrap()
        .map(|d| json!([d.estatus, d.generacion, d.razon_social]));
    let search: Vec<String> = directory::search(kv, "nominas")
        .unwrap()
        .resultados
        .into_iter()
        .map(|r| r.rfc)
        .collect();
    let inbox: Vec<Value> = notify::inbox(kv, DEV, 1)
        .unwrap()
        .notificaciones
        .iter()
        .map(|n| json!([n.evento, n.estado, n.asunto, n.ronda]))
        .collect();
    let queued: Vec<String> = notify::queued(kv, 100)
        .unwrap()
        .into_iter()
        .filter(|id| {
            let n = notify::load(kv, id).unwrap().unwrap();
            notify::confirmed(kv, &n).unwrap()
        })
        .collect();
    let free = {
        let copy = kv.snapshot().restore();
        let act = act(
            DEV,
            actions::SOLICITAR_CERTIFICACION,
            Some(TermsId::CertificacionSolicitud),
            &[("razon_social", "OTRA"), ("correo", "dev@example.com")],
        );
        request(&copy, &seal(), &act, 1, false, now())
            .map(|_| ())
            .map_err(|e| e.codigo)
    };
    normalize(json!({
        "actual": actual,
        "bandejas": trays,
        "directorio": developer,
        "certificado": directory::require_certified(kv, DEV).is_ok(),
        "busqueda": search,
        "buzon": inbox,
        "cola": queued.len(),
        "nueva_solicitud": free,
    }))
}

/// Walks both faults over `act` from `base`, the retry being the same act; returns the fault
/// points covered (the act's operations, once per fault).
fn walk_both(base: &Snapshot, act: impl Fn(&dyn KeyValue) + Copy) -> usize {
    let mut points = 0;
    for fault in Fault::ALL {
        let w = walk(base, fault, act, observe, act);
        assert!(w.points > 5, "{fault:?}: only {} operations", w.points);
        points += w.points;
    }
    points
}

struct Stages {
    empty: Snapshot,
    requested: Snapshot,
    uploaded: Snapshot,
    approved: Snapshot,
    authorised: Snapshot,
    folio: String,
    workbook: Vec<u8>,
}

fn stages() -> Stages {
    let kv = MemoryKv::new();
    let empty = kv.snapshot();
    solicitar(&kv);
    let requested = kv.snapshot();
    let folio = folio(&kv);
    let workbook = workbook(&kv, &folio);
    subir(&kv, &folio, &workbook);
    let uploaded = kv.snapshot();
    dictaminar_(&kv, &folio, "aprobar");
    let approved = kv.snapshot();
    aceptar(&kv, &folio);
    assert_eq!(
        record::load(&kv, &folio).unwrap().unwrap().estatus,
        crate::Stored::Autorizada
    );
    let authorised = kv.snapshot();
    Stages {
        empty,
        requested,
        uploaded,
        approved,
        authorised,
        folio,
        workbook,
    }
}

#[test]
fn a_request_is_whole_or_absent_at_every_step() {
    let s = stages();
    let n = walk_both(&s.empty, solicitar);
    eprintln!("SOLICITAR_CERTIFICACION: {n} fault points");
}

#[test]
fn an_evidence_upload_is_whole_or_absent_at_every_step() {
    let s = stages();
    let n = walk_both(&s.requested, |kv| subir(kv, &s.folio, &s.workbook));
    eprintln!("evidence upload: {n} fault points");
}

#[test]
fn a_dictamen_is_whole_or_absent_at_every_step() {
    let s = stages();
    let a = walk_both(&s.uploaded, |kv| dictaminar_(kv, &s.folio, "aprobar"));
    let b = walk_both(&s.uploaded, |kv| {
        dictaminar_(kv, &s.folio, "inconsistencias")
    });
    eprintln!("DICTAMINAR_CERTIFICACION: {} fault points", a + b);
}

#[test]
fn an_acceptance_is_whole_or_absent_at_every_step() {
    let s = stages();
    let n = walk_both(&s.approved, |kv| aceptar(kv, &s.folio));
    eprintln!("ACEPTAR_APROBACION: {n} fault points");
}

/// The defect of issue 15: a cancellation interrupted after its record but before the directory
/// left the developer authorised, and its retry answered 409.
#[test]
fn a_cancellation_is_whole_or_absent_at_every_step() {
    let s = stages();
    let a = walk_both(&s.authorised, |kv| cancelar(kv, &s.folio));
    // And from a request still waiting for evidence.
    let b = walk_both(&s.requested, |kv| cancelar(kv, &s.folio));
    eprintln!("CANCELAR_CERTIFICACION: {} fault points", a + b);
}

/// A developer an analyst had registered as authorised signs its approval: readers keep seeing
/// it authorised at every step (the analyst's record, then the request's), never absent.
#[test]
fn an_acceptance_over_an_analysts_registration_never_closes_access() {
    let s = stages();
    let kv = s.approved.restore();
    directory::set_status(
        &kv,
        directory::Developer {
            rfc: DEV.into(),
            razon_social: "NOMINAS ANTES SA".into(),
            estatus: CertStatus::Autorizada,
            actualizado: now(),
            folio: "0500000099".into(),
            registrado_por: ANALISTA.into(),
            generacion: 0,
            certificacion: None,
            anterior: None,
        },
    )
    .unwrap();
    let base = kv.snapshot();
    let generation = directory::load(&kv, DEV).unwrap().unwrap().generacion;
    for fault in Fault::ALL {
        walk(
            &base,
            fault,
            |kv| aceptar(kv, &s.folio),
            observe,
            |kv| aceptar(kv, &s.folio),
        );
    }
    let kv = base.restore();
    aceptar(&kv, &s.folio);
    let d = directory::load(&kv, DEV).unwrap().unwrap();
    assert_eq!(d.estatus, CertStatus::Autorizada);
    assert_eq!(d.generacion, generation, "the same authorisation goes on");
    assert_eq!(d.certificacion.as_deref(), Some(s.folio.as_str()));
}

/// A cancellation whose store failed right after its commit: readers already see it cancelled
/// (the directory follows the request), and the retry, refused, tidies what was left.
#[test]
fn a_cancellation_interrupted_after_its_commit_is_finished_by_its_retry() {
    let s = stages();
    let act = act(
        DEV,
        actions::CANCELAR_CERTIFICACION,
        Some(TermsId::CertificacionCancelacion),
        &[("folio", s.folio.as_str())],
    );
    // Fail every operation after the record's swap: find it by walking until the record
    // changes and nothing else did.
    let mut n = 0;
    loop {
        let kv2 = s.authorised.restore();
        let f = avisos_kv::faults::Faults::new();
        f.fail_after(n);
        cancelar(&avisos_kv::faults::FaultyKv::new(&kv2, f), &s.folio);
        if record::load(&kv2, &s.folio).unwrap().unwrap().estatus == crate::Stored::Cancelada {
            let raw = kv2.get(&format!("desarrollador:{DEV}")).unwrap().unwrap();
            let stored: directory::Developer = serde_json::from_slice(&raw).unwrap();
            assert_eq!(stored.estatus, CertStatus::Autorizada, "not recorded yet");
            assert!(directory::require_certified(&kv2, DEV).is_err(), "yet out");
            assert!(
                directory::search(&kv2, "nominas")
                    .unwrap()
                    .resultados
                    .is_empty()
            );
            assert_eq!(
                kv2.get(&record::claim_key(DEV)).unwrap().as_deref(),
                Some(s.folio.as_bytes()),
                "claim not released yet"
            );
            // The retry is refused and tidies.
            let act = act.clone();
            let e = cancel(
                &kv2,
                &seal(),
                &session(DEV, Role::Desarrollador),
                &act,
                "tok",
                false,
                now(),
            )
            .unwrap_err();
            assert_eq!(e.codigo, "CERTIFICACION_NO_VIGENTE");
            let raw = kv2.get(&format!("desarrollador:{DEV}")).unwrap().unwrap();
            let stored: directory::Developer = serde_json::from_slice(&raw).unwrap();
            assert_eq!(stored.estatus, CertStatus::Cancelada);
            assert_eq!(
                kv2.get(&record::claim_key(DEV)).unwrap().as_deref(),
                Some(&b""[..])
            );
            assert_eq!(
                avisos_kv::index::read(&kv2, "certificaciones:estatus:autorizada").unwrap(),
                Vec::<String>::new()
            );
            break;
        }
        n += 1;
        assert!(n < 200);
    }
}

// ---------------------------------------------------------------- item 8: notifications

fn config() -> MailConfig {
    MailConfig::from_variables(Some("http://correo/enviar".into()), None).unwrap()
}

fn queued_request(kv: &MemoryKv) -> String {
    solicitar(kv);
    let ids = notify::queued(kv, 10).unwrap();
    assert_eq!(ids.len(), 1);
    ids[0].clone()
}

/// Eight acts deliver the same queued notification at once: one mail, recorded sent.
#[test]
fn concurrent_senders_send_a_notification_once() {
    for _ in 0..20 {
        let kv = Arc::new(MemoryKv::new());
        let id = queued_request(&kv);
        let sent = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (kv, sent, id) = (kv.clone(), sent.clone(), id.clone());
                std::thread::spawn(move || {
                    let send = |_m: MailRequest| {
                        sent.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        async { Ok(202) }
                    };
                    futures::executor::block_on(notify::deliver(
                        &*kv,
                        Some(&config()),
                        std::slice::from_ref(&id),
                        0,
                        now(),
                        |_| None,
                        send,
                    ))
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sent.load(Ordering::SeqCst), 1, "one mail");
        let n = notify::load(&*kv, &id).unwrap().unwrap();
        assert_eq!(
            (n.estado, n.intentos, n.en_envio),
            (Estado::Enviada, 1, None)
        );
        assert!(notify::queued(&*kv, 10).unwrap().is_empty());
    }
}

/// A sender that took longer than the lease: another took the notification over and failed.
/// The first one's success is still recorded, and the notification leaves the queue; the
/// other way round, a failure reported after a success changes nothing.
#[test]
fn a_sent_mail_is_never_recorded_as_failed() {
    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let (_, slow) = notify::claim_send(&kv, &id, now()).unwrap().unwrap();
    assert!(
        notify::claim_send(&kv, &id, now() + Duration::seconds(5))
            .unwrap()
            .is_none(),
        "a live claim keeps others off"
    );
    let later = now() + Duration::seconds(notify::SEND_LEASE_SECONDS + 1);
    let (_, fast) = notify::claim_send(&kv, &id, later).unwrap().unwrap();
    let n = notify::record_attempt(&kv, &id, &fast, Err("timeout".into()), later).unwrap();
    assert_eq!(n.estado, Estado::Fallida);
    let n = notify::record_attempt(&kv, &id, &slow, Ok(()), later).unwrap();
    assert_eq!((n.estado, n.intentos), (Estado::Enviada, 2));
    assert!(notify::queued(&kv, 10).unwrap().is_empty());

    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let (_, slow) = notify::claim_send(&kv, &id, now()).unwrap().unwrap();
    let (_, fast) = notify::claim_send(&kv, &id, later).unwrap().unwrap();
    notify::record_attempt(&kv, &id, &fast, Ok(()), later).unwrap();
    let n = notify::record_attempt(&kv, &id, &slow, Err("timeout".into()), later).unwrap();
    assert_eq!(
        n.estado,
        Estado::Enviada,
        "the late failure is not recorded"
    );
    assert!(notify::queued(&kv, 10).unwrap().is_empty());
}

/// A failed send stays queued and is retried by a later act until sent.
#[test]
fn a_failed_send_stays_queued_until_sent() {
    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let fail = |_m: MailRequest| async { Err("connection refused".to_string()) };
    let ok = |_m: MailRequest| async { Ok(202) };
    let ids = std::slice::from_ref(&id);
    let out = futures::executor::block_on(notify::deliver(
        &kv,
        Some(&config()),
        ids,
        0,
        now(),
        |_| None,
        fail,
    ))
    .unwrap();
    assert_eq!(out[0].estado, Estado::Fallida);
    assert_eq!(notify::queued(&kv, 10).unwrap(), ids);
    let out = futures::executor::block_on(notify::deliver(
        &kv,
        Some(&config()),
        &[],
        5,
        now(),
        |_| None,
        ok,
    ))
    .unwrap();
    assert!(out.is_empty());
    assert_eq!(
        notify::load(&kv, &id).unwrap().unwrap().estado,
        Estado::Enviada
    );
    assert!(notify::queued(&kv, 10).unwrap().is_empty());
}

/// A notification written by an act that never committed is neither shown nor sent.
#[test]
fn a_notification_of_an_act_that_did_not_commit_is_never_seen() {
    // The request fails at its claim (the commit point): the notification was written before.
    let mut n = 0;
    loop {
        let kv2 = MemoryKv::new();
        let f = avisos_kv::faults::Faults::new();
        f.fail_after(n);
        solicitar(&avisos_kv::faults::FaultyKv::new(&kv2, f));
        if !notify::queued(&kv2, 10).unwrap().is_empty()
            && current(&kv2, &session(DEV, Role::Desarrollador)).is_err()
        {
            assert!(
                notify::inbox(&kv2, DEV, 1)
                    .unwrap()
                    .notificaciones
                    .is_empty()
            );
            let sent = AtomicUsize::new(0);
            let send = |_m: MailRequest| {
                sent.fetch_add(1, Ordering::SeqCst);
                async { Ok(202) }
            };
            futures::executor::block_on(notify::deliver(
                &kv2,
                Some(&config()),
                &[],
                5,
                now(),
                |_| None,
                send,
            ))
            .unwrap();
            assert_eq!(sent.load(Ordering::SeqCst), 0);
            // Clearly abandoned: it leaves the queue.
            let later = now() + Duration::seconds(notify::UNCONFIRMED_GRACE_SECONDS + 1);
            futures::executor::block_on(notify::deliver(
                &kv2,
                Some(&config()),
                &[],
                5,
                later,
                |_| None,
                send,
            ))
            .unwrap();
            assert!(notify::queued(&kv2, 10).unwrap().is_empty());
            assert_eq!(sent.load(Ordering::SeqCst), 0);
            break;
        }
        n += 1;
        assert!(n < 100, "no step between the notification and the commit");
    }
}

// ---------------------------------------------------------------- item 8: directory

/// Writers racing on one developer's directory record: each change is a compare-and-swap on the
/// record it read, so none is lost (every toggle counts in the generation) and the search
/// buckets end as the last record says.
#[test]
fn concurrent_directory_changes_lose_nothing() {
    for kind in [None, Some(avisos_kv::simulated::SpinStoreKind::Redis)] {
        let kv: Arc<dyn KeyValue + Send + Sync> = match kind {
            None => Arc::new(MemoryKv::new()),
            Some(k) => {
                let next = Arc::new(std::sync::atomic::AtomicU64::new(1));
                Arc::new(avisos_kv::CheckedKv::new(
                    avisos_kv::simulated::SimulatedSpin::new(k),
                    || 1_764_000_000,
                    move || next.fetch_add(1, Ordering::Relaxed),
                ))
            }
        };
        directory::set_status(&*kv, developer(CertStatus::Cancelada, "NOMINAS CERO")).unwrap();
        let toggles = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (kv, toggles) = (kv.clone(), toggles.clone());
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let name = format!("NOMINAS HILO {t} VEZ {i}");
                        // A toggle, as an analyst's registration racing a cancellation would.
                        let wrote = directory::update(&*kv, DEV, |stored| {
                            let d = stored.unwrap();
                            let estatus = match d.estatus {
                                CertStatus::Autorizada => CertStatus::Cancelada,
                                CertStatus::Cancelada => CertStatus::Autorizada,
                            };
                            Some(directory::Developer {
                                estatus,
                                razon_social: name.clone(),
                                ..d.clone()
                            })
                        })
                        .unwrap();
                        if wrote.is_some() {
                            toggles.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(toggles.load(Ordering::SeqCst), 100);
        let d = directory::load(&*kv, DEV).unwrap().unwrap();
        // 100 toggles from cancelled: 50 authorisations, the last one cancelled again.
        assert_eq!(
            (d.estatus, d.generacion),
            (CertStatus::Cancelada, 50),
            "{kind:?}"
        );
        assert!(
            directory::search(&*kv, "nominas")
                .unwrap()
                .resultados
                .is_empty()
        );
        for b in ["NO", "HI", "VE", "ND"] {
            let entries: Vec<directory::Entry> =
                avisos_kv::KeyValueJson::get_json(&*kv, &format!("directorio:prefijo:{b}"))
                    .unwrap()
                    .unwrap_or_default();
            assert!(entries.is_empty(), "{kind:?}: bucket {b} holds {entries:?}");
        }
        // Authorised once more: listed under its last name only.
        let d = directory::update(&*kv, DEV, |stored| {
            Some(directory::Developer {
                estatus: CertStatus::Autorizada,
                ..stored.unwrap().clone()
            })
        })
        .unwrap()
        .unwrap();
        let found = directory::search(&*kv, "nominas hilo").unwrap().resultados;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].razon_social, d.razon_social);
    }
}

fn developer(estatus: CertStatus, name: &str) -> directory::Developer {
    directory::Developer {
        rfc: DEV.into(),
        razon_social: name.into(),
        estatus,
        actualizado: now(),
        folio: "0500000001".into(),
        registrado_por: ANALISTA.into(),
        generacion: 0,
        certificacion: None,
        anterior: None,
    }
}

/// A workflow cancellation racing an analyst's registration of the same developer: whichever
/// order the store puts them in, the analyst's registration is never lost (the cancellation
/// records itself only while the record still names its request).
#[test]
fn a_cancellation_racing_an_analysts_registration_keeps_both() {
    for _ in 0..20 {
        let s = stages();
        let kv = Arc::new(s.authorised.restore());
        let f = s.folio.clone();
        let k2 = kv.clone();
        let cancelling = std::thread::spawn(move || cancelar(&*k2, &f));
        let k3 = kv.clone();
        let registering = std::thread::spawn(move || {
            directory::set_status(
                &*k3,
                developer(CertStatus::Autorizada, "NOMINAS ANALISTA SA"),
            )
            .unwrap()
        });
        cancelling.join().unwrap();
        let registered = registering.join().unwrap();
        assert_eq!(
            record::load(&*kv, &s.folio).unwrap().unwrap().estatus,
            crate::Stored::Cancelada
        );
        let d = directory::load(&*kv, DEV).unwrap().unwrap();
        // The analyst's word stands whether it came first or second: the cancellation only
        // closes what its own request had opened.
        assert_eq!(d.estatus, CertStatus::Autorizada, "{d:?}");
        assert_eq!(d.razon_social, registered.razon_social);
        let found = directory::search(&*kv, "nominas analista")
            .unwrap()
            .resultados;
        assert_eq!(found.len(), 1);
    }
}
