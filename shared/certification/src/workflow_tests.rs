//! The state machine natively, on `MemoryKv`, with acts that skip the signature (tested in
//! avisos-acts and end to end).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_kv::{KeyValue, MemoryKv};
use avisos_relations::directory::{self, CertStatus};
use chrono::{DateTime, Duration, Utc};

use crate::deadline;
use crate::notify::{self, Evento};
use crate::record;
use crate::status::{Estatus, Stored};
use crate::testutil::*;
use crate::workflow::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn solicitar(
    kv: &dyn KeyValue,
    rfc: &str,
    now: DateTime<Utc>,
) -> Result<Done, avisos_http::ApiError> {
    let act = act(
        rfc,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[
            ("razon_social", name_of(rfc)),
            ("correo", "dev@example.com"),
        ],
    );
    request(kv, &seal(), &act, 42, true, now)
}

fn workbook(kv: &dyn KeyValue, folio: &str, opts: &SampleOptions) -> Vec<u8> {
    let c = record::load(kv, folio).unwrap().unwrap();
    workbook_xlsx(&avisos_evidence::generate(&c.test_set_id()), opts)
}

fn subir(
    kv: &dyn KeyValue,
    rfc: &str,
    folio: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<record::Certification, UploadError> {
    upload(
        kv,
        &session(rfc, Role::Desarrollador),
        folio,
        &Upload {
            bytes,
            file_name: "evidencias.xlsx",
            content_type: XLSX,
            carga: "c1",
        },
        now,
    )
}

fn dictamen(
    kv: &dyn KeyValue,
    folio: &str,
    resultado: &str,
    obs: &str,
    now: DateTime<Utc>,
) -> Result<Done, avisos_http::ApiError> {
    let act = act(
        ANALISTA,
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &[
            ("folio", folio),
            ("resultado", resultado),
            ("observaciones", obs),
        ],
    );
    dictaminar(kv, &seal(), &act, 7, false, now)
}

fn folio_act(
    rfc: &str,
    accion: &'static str,
    terms: TermsId,
    folio: &str,
) -> avisos_acts::VerifiedAct {
    act(rfc, accion, Some(terms), &[("folio", folio)])
}

fn shown(kv: &dyn KeyValue, folio: &str, now: DateTime<Utc>) -> Estatus {
    let c = record::load(kv, folio).unwrap().unwrap();
    let cal = calendar_of(kv, &c).unwrap();
    c.estatus(&cal, crate::today(now))
}

#[test]
fn the_whole_state_machine() {
    let kv = MemoryKv::new();
    let t = t0();
    let done = solicitar(&kv, DEV, t).unwrap();
    let folio = done.certification.folio.clone();
    assert_eq!(done.certification.estatus, Stored::EnEspera);
    assert_eq!(done.notifications[0].evento, Evento::SetDePruebas);
    assert!(
        done.acuse.terminos.is_some(),
        "the responsiva carries the terms"
    );
    let zip = test_set_attachment(&kv, &done.notifications[0]).expect("the set travels attached");
    assert_eq!(
        zip.contenido,
        avisos_evidence::generate(&done.certification.test_set_id()).package_zip()
    );
    assert_eq!(
        solicitar(&kv, DEV, t).unwrap_err().codigo,
        "CERTIFICACION_EN_CURSO"
    );

    // A rejected workbook changes nothing.
    let before = kv.get(&record::key(&folio)).unwrap();
    let bad = workbook(
        &kv,
        &folio,
        &SampleOptions {
            omit_tab: Some(2),
            ..Default::default()
        },
    );
    match subir(&kv, DEV, &folio, &bad, t) {
        Err(UploadError::Rejected(r)) => assert!(r.problems.iter().any(|p| p.pestana == 2)),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(kv.get(&record::key(&folio)).unwrap(), before);
    // Someone else's folio looks missing.
    match subir(&kv, DEV_2, &folio, &bad, t) {
        Err(UploadError::Api(e)) => assert_eq!(e.codigo, "CERTIFICACION_NO_ENCONTRADA"),
        other => panic!("{other:?}"),
    }

    // Accepted with a wrong amount: graded, «En análisis».
    let first_case =
        avisos_evidence::generate(&record::load(&kv, &folio).unwrap().unwrap().test_set_id()).casos
            [0]
        .id
        .clone();
    let wb = workbook(
        &kv,
        &folio,
        &SampleOptions {
            wrong_amount_case: Some(first_case),
            ..Default::default()
        },
    );
    let c = subir(&kv, DEV, &folio, &wb, t).unwrap();
    assert_eq!(c.estatus, Stored::EnAnalisis);
    let e = c.ronda_actual().evidencia.clone().unwrap();
    assert_eq!(e.calificacion.correctos + 1, e.calificacion.total);
    assert_eq!(stored_workbook(&kv, &c, None).unwrap().1, wb);
    assert_eq!(
        list(&kv, Estatus::EnAnalisis, 1, t).unwrap().solicitudes[0].folio,
        folio
    );
    assert!(
        list(&kv, Estatus::EnEspera, 1, t)
            .unwrap()
            .solicitudes
            .is_empty()
    );

    // Inconsistencias: a new round with 10 business days.
    assert_eq!(
        dictamen(&kv, &folio, "inconsistencias", "", t)
            .unwrap_err()
            .codigo,
        "OBSERVACIONES_REQUERIDAS"
    );
    let d = dictamen(&kv, &folio, "inconsistencias", "Revisa el caso 1.", t).unwrap();
    assert_eq!(d.certification.estatus, Stored::EnEspera);
    assert_eq!(d.certification.rondas.len(), 2);
    assert_eq!(
        d.certification.plazo.as_ref().unwrap().dias,
        deadline::DIAS_CORRECCION
    );
    assert_eq!(d.notifications[0].evento, Evento::Inconsistencias);
    assert!(d.notifications[0].texto.contains("Revisa el caso 1."));
    assert_ne!(d.certification.test_set_id(), c.test_set_id());

    // Correct evidence for round 2, approval, acceptance → directory.
    let later = t + Duration::days(1);
    let wb = workbook(&kv, &folio, &SampleOptions::default());
    subir(&kv, DEV, &folio, &wb, later).unwrap();
    let d = dictamen(&kv, &folio, "aprobar", "", later).unwrap();
    assert_eq!(d.certification.estatus, Stored::Aprobado);
    assert_eq!(d.notifications[0].evento, Evento::Aprobacion);
    assert!(
        directory::load(&kv, DEV).unwrap().is_none(),
        "not listed before signing"
    );
    let s = session(DEV, Role::Desarrollador);
    let a = accept(
        &kv,
        &seal(),
        &s,
        &folio_act(
            DEV,
            actions::ACEPTAR_APROBACION,
            TermsId::CertificacionAprobacion,
            &folio,
        ),
        true,
        later,
    )
    .unwrap();
    assert_eq!(a.certification.estatus, Stored::Autorizada);
    // The `autorizacion` e-mail, queued and listed once the record lists the acceptance.
    assert_eq!(a.notifications.len(), 1);
    assert_eq!(a.notifications[0].evento, Evento::Autorizacion);
    assert_eq!(
        a.notifications[0].acto.as_deref(),
        Some(a.acuse.folio.as_str())
    );
    assert!(notify::confirmed(&kv, &a.notifications[0]).unwrap());
    assert!(
        notify::queued(&kv, 10)
            .unwrap()
            .contains(&a.notifications[0].id)
    );
    let d = directory::load(&kv, DEV).unwrap().unwrap();
    assert_eq!(
        (d.estatus, d.folio.as_str()),
        (CertStatus::Autorizada, a.acuse.folio.as_str())
    );
    assert_eq!(
        solicitar(&kv, DEV, later).unwrap_err().codigo,
        "CERTIFICACION_EN_CURSO"
    );

    // Cancellation: out of the directory, claim free, acuse handed over once.
    let c = cancel(
        &kv,
        &seal(),
        &s,
        &folio_act(
            DEV,
            actions::CANCELAR_CERTIFICACION,
            TermsId::CertificacionCancelacion,
            &folio,
        ),
        "tok",
        false,
        later,
    )
    .unwrap();
    assert_eq!(c.certification.estatus, Stored::Cancelada);
    assert_eq!(
        directory::load(&kv, DEV).unwrap().unwrap().estatus,
        CertStatus::Cancelada
    );
    assert!(
        kv.get(&format!("acuse:{}", c.acuse.folio))
            .unwrap()
            .is_none()
    );
    let mut other_session = s.clone();
    other_session.sid = "otra".into();
    assert_eq!(
        take_cancellation_receipt(&kv, &other_session, &folio, "tok")
            .unwrap_err()
            .codigo,
        "ACUSE_NO_ENCONTRADO"
    );
    assert_eq!(
        take_cancellation_receipt(&kv, &s, &folio, "mal")
            .unwrap_err()
            .codigo,
        "ACUSE_NO_ENCONTRADO"
    );
    assert_eq!(
        take_cancellation_receipt(&kv, &s, &folio, "tok")
            .unwrap()
            .folio,
        c.acuse.folio
    );
    assert_eq!(
        take_cancellation_receipt(&kv, &s, &folio, "tok")
            .unwrap_err()
            .status,
        410
    );
    assert_eq!(
        cancel(
            &kv,
            &seal(),
            &s,
            &folio_act(
                DEV,
                actions::CANCELAR_CERTIFICACION,
                TermsId::CertificacionCancelacion,
                &folio
            ),
            "t2",
            false,
            later
        )
        .unwrap_err()
        .codigo,
        "CERTIFICACION_NO_VIGENTE"
    );
    assert_eq!(
        list(&kv, Estatus::Cancelada, 1, later)
            .unwrap()
            .solicitudes
            .len(),
        1
    );
    let again = solicitar(&kv, DEV, later).unwrap();
    assert_ne!(again.certification.folio, folio);
    assert_eq!(current(&kv, &s).unwrap().folio, again.certification.folio);
}

/// Sends every queued e-mail at `now` through a mail API that accepts them.
fn deliver_all(kv: &dyn KeyValue, now: DateTime<Utc>) {
    let mail =
        notify::MailConfig::from_variables(Some("http://correo/enviar".into()), None).unwrap();
    let out = futures::executor::block_on(notify::retry_queued(
        kv,
        Some(&mail),
        now,
        |_| None,
        |_| async { Ok(202) },
    ))
    .unwrap();
    assert!(out.fallidas == 0, "{out:?}");
}

/// Seed 002: «45 días hábiles contados a partir de la recepción del correo electrónico con el
/// set de pruebas»: the deadline waits for the e-mail's delivery in the outbox.
#[test]
fn the_45_days_count_from_the_delivery_of_the_test_set_e_mail() {
    let kv = MemoryKv::new();
    let t = t0();
    let done = solicitar(&kv, DEV, t).unwrap();
    let folio = done.certification.folio.clone();
    let c = record::load(&kv, &folio).unwrap().unwrap();
    let p = c.plazo.clone().unwrap();
    assert_eq!(p.desde, None, "not delivered yet: no deadline runs");
    assert_eq!(p.correo.as_deref(), Some(done.notifications[0].id.as_str()));
    // Undelivered for a year: never «Vencida».
    assert_eq!(
        shown(&kv, &folio, t + Duration::days(365)),
        Estatus::EnEspera
    );
    let v = done
        .view(&kv, t, crate::view::Viewer::Desarrollador)
        .unwrap();
    let pv = v.plazo.unwrap();
    assert!(!pv.iniciado && pv.vence.is_none());
    assert_eq!(pv.dias_habiles_restantes, 45);

    // Delivered 10 days later (the mail API was down): the 45 days count from that day.
    let delivered = t + Duration::days(10);
    deliver_all(&kv, delivered);
    let c = record::load(&kv, &folio).unwrap().unwrap();
    let desde = crate::today(delivered);
    assert_eq!(c.plazo.as_ref().unwrap().desde, Some(desde));
    let cal = deadline::calendar_for(&kv, 2026, 2026).unwrap();
    let vence = cal.add_business_days(desde, deadline::DIAS_EVIDENCIA);
    assert!(vence > cal.add_business_days(crate::today(t), deadline::DIAS_EVIDENCIA));
    let at = |d: chrono::NaiveDate| t + Duration::days((d - crate::today(t)).num_days());
    assert_eq!(shown(&kv, &folio, at(vence)), Estatus::EnEspera);
    assert_eq!(
        shown(&kv, &folio, at(vence) + Duration::days(1)),
        Estatus::Vencida
    );
}

/// «10 días hábiles contados a partir de la recepción» of the e-mail with the new set.
#[test]
fn the_10_days_count_from_the_delivery_of_the_new_set_e_mail() {
    let kv = MemoryKv::new();
    let t = t0();
    let folio = solicitar(&kv, DEV, t).unwrap().certification.folio;
    deliver_all(&kv, t);
    let wb = workbook(&kv, &folio, &SampleOptions::default());
    subir(&kv, DEV, &folio, &wb, t).unwrap();
    let a = act(
        ANALISTA,
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &[
            ("folio", &folio),
            ("resultado", "inconsistencias"),
            ("observaciones", "Revisa el caso 3."),
        ],
    );
    let d = dictaminar(&kv, &seal(), &a, 7, true, t).unwrap();
    let p = d.certification.plazo.clone().unwrap();
    assert_eq!((p.desde, p.dias), (None, deadline::DIAS_CORRECCION));
    assert_eq!(p.correo.as_deref(), Some(d.notifications[0].id.as_str()));
    assert_eq!(
        shown(&kv, &folio, t + Duration::days(90)),
        Estatus::EnEspera
    );
    let delivered = t + Duration::days(3);
    deliver_all(&kv, delivered);
    let c = record::load(&kv, &folio).unwrap().unwrap();
    assert_eq!(
        c.plazo.as_ref().unwrap().desde,
        Some(crate::today(delivered))
    );
    let cal = deadline::calendar_for(&kv, 2026, 2026).unwrap();
    let vence = cal.add_business_days(crate::today(delivered), deadline::DIAS_CORRECCION);
    let at = |d: chrono::NaiveDate| t + Duration::days((d - crate::today(t)).num_days());
    assert_eq!(shown(&kv, &folio, at(vence)), Estatus::EnEspera);
    assert_eq!(
        shown(&kv, &folio, at(vence) + Duration::days(1)),
        Estatus::Vencida
    );
}

/// Without a mail API the portal inbox is the delivery: the deadline starts with the act.
#[test]
fn inbox_only_the_deadline_starts_with_the_act() {
    let kv = MemoryKv::new();
    let t = t0();
    let a = act(
        DEV,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[
            ("razon_social", name_of(DEV)),
            ("correo", "dev@example.com"),
        ],
    );
    let done = request(&kv, &seal(), &a, 42, false, t).unwrap();
    let cal = deadline::calendar_for(&kv, 2026, 2026).unwrap();
    let vence = cal.add_business_days(crate::today(t), deadline::DIAS_EVIDENCIA);
    let p = done.certification.plazo.clone().unwrap();
    assert_eq!(p.desde, Some(crate::today(t)));
    assert_eq!(p.vence(&cal), Some(vence));
    assert!(
        done.notifications[0]
            .texto
            .contains(&format!("a más tardar el {}", crate::fecha_guia(vence))),
        "{}",
        done.notifications[0].texto
    );
}

#[test]
fn vencida_is_computed_and_frees_the_developer() {
    let kv = MemoryKv::new();
    let t = t0();
    let folio = solicitar(&kv, DEV, t).unwrap().certification.folio;
    deliver_all(&kv, t);
    let cal = deadline::calendar_for(&kv, 2026, 2026).unwrap();
    let vence = cal.add_business_days(crate::today(t), deadline::DIAS_EVIDENCIA);
    let at = |d: chrono::NaiveDate| t + Duration::days((d - crate::today(t)).num_days());
    assert_eq!(shown(&kv, &folio, at(vence)), Estatus::EnEspera);
    let after = at(vence) + Duration::days(1);
    assert_eq!(shown(&kv, &folio, after), Estatus::Vencida);
    let wb = workbook(&kv, &folio, &SampleOptions::default());
    match subir(&kv, DEV, &folio, &wb, after) {
        Err(UploadError::Api(e)) => assert_eq!(e.codigo, "CERTIFICACION_VENCIDA"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        list(&kv, Estatus::Vencida, 1, after)
            .unwrap()
            .solicitudes
            .len(),
        1
    );
    assert!(
        list(&kv, Estatus::EnEspera, 1, after)
            .unwrap()
            .solicitudes
            .is_empty()
    );
    // A day the institute declares non-working moves the deadline: not lapsed any more.
    deadline::set_extra_days(&kv, 2026, &["2026-12-01".into()]).unwrap();
    assert_eq!(shown(&kv, &folio, after), Estatus::EnEspera);
    deadline::set_extra_days(&kv, 2026, &[]).unwrap();
    assert!(
        solicitar(&kv, DEV, after).is_ok(),
        "a lapsed request does not block"
    );
}

#[test]
fn concurrent_requests_leave_one_live_request() {
    let kv = std::sync::Arc::new(MemoryKv::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let kv = kv.clone();
            std::thread::spawn(move || solicitar(&*kv, DEV, t0()).is_ok())
        })
        .collect();
    let ok = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|x| *x)
        .count();
    assert_eq!(ok, 1);
    assert_eq!(
        list(&*kv, Estatus::EnEspera, 1, t0())
            .unwrap()
            .solicitudes
            .len(),
        1
    );
}

#[test]
fn inputs_are_validated_before_anything_is_written() {
    let kv = MemoryKv::new();
    let bad = act(
        DEV,
        actions::SOLICITAR_CERTIFICACION,
        Some(TermsId::CertificacionSolicitud),
        &[("razon_social", "X"), ("correo", "no-es-correo")],
    );
    assert_eq!(
        request(&kv, &seal(), &bad, 1, false, t0())
            .unwrap_err()
            .codigo,
        "CORREO_INVALIDO"
    );
    assert!(kv.get("folio:secuencia").unwrap().is_none());
    assert_eq!(
        dictamen(
            &kv,
            "0500000001",
            "aprobar",
            &"x".repeat(MAX_OBSERVACIONES + 1),
            t0()
        )
        .unwrap_err()
        .codigo,
        "OBSERVACIONES_DEMASIADO_LARGAS"
    );
    assert_eq!(
        dictamen(&kv, "0500000001", "otro", "", t0())
            .unwrap_err()
            .codigo,
        "RESULTADO_INVALIDO"
    );
    assert_eq!(
        dictamen(&kv, "0500000001", "aprobar", "", t0())
            .unwrap_err()
            .codigo,
        "CERTIFICACION_NO_ENCONTRADA"
    );
}

/// The institute's 5-day review running late is the institute's delay: the request stays «En
/// análisis» (never «Vencida»), the analyst's tray shows it late, and a dictamen is possible.
#[test]
fn a_late_review_is_late_for_the_analyst_never_vencida_for_the_developer() {
    let kv = MemoryKv::new();
    let t = t0();
    let folio = solicitar(&kv, DEV, t).unwrap().certification.folio;
    deliver_all(&kv, t);
    let wb = workbook(&kv, &folio, &SampleOptions::default());
    subir(&kv, DEV, &folio, &wb, t).unwrap();
    let cal = deadline::calendar_for(&kv, 2026, 2026).unwrap();
    let vence = cal.add_business_days(crate::today(t), deadline::DIAS_ANALISIS);
    let on_time = t + Duration::days((vence - crate::today(t)).num_days());
    let late = on_time + Duration::days(1);
    assert_eq!(shown(&kv, &folio, t), Estatus::EnAnalisis);
    assert_eq!(shown(&kv, &folio, late), Estatus::EnAnalisis);
    assert_eq!(
        shown(&kv, &folio, late + Duration::days(200)),
        Estatus::EnAnalisis
    );
    assert!(
        list(&kv, Estatus::Vencida, 1, late)
            .unwrap()
            .solicitudes
            .is_empty()
    );
    let tray = |now| list(&kv, Estatus::EnAnalisis, 1, now).unwrap().solicitudes;
    let row = tray(on_time).remove(0);
    assert!(!row.atrasada);
    assert_eq!(row.dias_de_atraso, 0);
    let row = tray(late).remove(0);
    assert!(row.atrasada);
    let expected = cal.business_days_between(vence, crate::today(late));
    assert!(expected >= 1);
    assert_eq!(row.dias_de_atraso, expected);
    assert!(row.acciones.contains(&"cancelar"));
    // The developer can still cancel it (it is live).
    let d = dictamen(&kv, &folio, "aprobar", "", late).unwrap();
    assert_eq!(d.certification.estatus, Stored::Aprobado);
    assert_eq!(shown(&kv, &folio, late), Estatus::Aprobado);
    // Approved requests have no deadline.
    assert_eq!(
        shown(&kv, &folio, late + Duration::days(400)),
        Estatus::Aprobado
    );
}

/// [`crate::ActSigner`]'s steps as `avisos_portal::Env::signed_act` runs them.
fn authorize(
    signer: crate::ActSigner,
    session: &avisos_acts::session::Session,
    config: &avisos_acts::config::ServiceConfig,
) -> Result<(), avisos_http::ApiError> {
    signer.authorize(config)(session)
}

fn check(
    kv: &dyn KeyValue,
    signer: crate::ActSigner,
    session: &avisos_acts::session::Session,
    signer_rfc: &str,
    spec: &avisos_acts::ActSpec,
) -> Result<(), avisos_http::ApiError> {
    let body: avisos_acts::SignedActRequest = serde_json::from_value(
        serde_json::json!({ "rfc": signer_rfc, "nonce": "n", "fecha": "f", "certificado": "", "firma": "" }),
    )
    .unwrap();
    signer.check(kv)(session, &body, spec)
}

#[test]
fn act_signer_refuses_in_the_order_clients_see() {
    use crate::ActSigner;
    use avisos_acts::config::{RawConfig, ServiceConfig};

    let kv = MemoryKv::new();
    let folio = solicitar(&kv, DEV, t0()).unwrap().certification.folio;
    let config = |analistas: &str| {
        ServiceConfig::from_raw(&RawConfig {
            modo: "demo".into(),
            confianza_efirma: "demo".into(),
            analistas: analistas.into(),
            ..RawConfig::default()
        })
        .unwrap()
    };
    let listed = config(ANALISTA);
    let code = |r: Result<(), avisos_http::ApiError>| r.unwrap_err().codigo;
    let (dev, other, analyst) = (
        session(DEV, Role::Desarrollador),
        session(DEV_2, Role::Desarrollador),
        session(ANALISTA, Role::Analista),
    );
    let signed = |rfc: &str, f: &str| {
        folio_act(
            rfc,
            actions::CANCELAR_CERTIFICACION,
            TermsId::CertificacionCancelacion,
            f,
        )
        .spec
    };

    // A developer's act on a request: role, then folio, signer, ownership.
    let mine = ActSigner::developer(Some(&folio));
    assert_eq!(code(authorize(mine, &analyst, &listed)), "ROL_NO_PERMITIDO");
    authorize(mine, &dev, &listed).unwrap();
    let wrong_folio = signed(DEV, "CER-OTRO");
    assert_eq!(
        code(check(&kv, mine, &other, DEV, &wrong_folio)),
        "FOLIO_NO_COINCIDE"
    );
    let right_folio = signed(DEV, &folio);
    assert_eq!(
        code(check(&kv, mine, &other, DEV, &right_folio)),
        "SESION_NO_COINCIDE"
    );
    assert_eq!(
        code(check(&kv, mine, &other, DEV_2, &right_folio)),
        "CERTIFICACION_NO_ENCONTRADA"
    );
    check(&kv, mine, &dev, DEV, &right_folio).unwrap();

    // A new request has no folio to match or own.
    let new = ActSigner::developer(None);
    check(&kv, new, &other, DEV_2, &wrong_folio).unwrap();
    assert_eq!(
        code(check(&kv, new, &other, DEV, &wrong_folio)),
        "SESION_NO_COINCIDE"
    );

    // The analyst: still listed in `analistas`, any developer's folio.
    let analysis = ActSigner::analyst(&folio);
    assert_eq!(code(authorize(analysis, &dev, &listed)), "ROL_NO_PERMITIDO");
    assert_eq!(
        code(authorize(analysis, &analyst, &config(DEV_2))),
        "ROL_NO_PERMITIDO"
    );
    authorize(analysis, &analyst, &listed).unwrap();
    check(&kv, analysis, &analyst, ANALISTA, &signed(ANALISTA, &folio)).unwrap();
    assert_eq!(
        code(check(&kv, analysis, &analyst, ANALISTA, &wrong_folio)),
        "FOLIO_NO_COINCIDE"
    );
}

#[test]
fn an_act_delivers_its_notifications_with_the_test_set() {
    use crate::notify::{Estado, MailConfig, MailRequest};
    use std::cell::RefCell;

    let kv = MemoryKv::new();
    let done = solicitar(&kv, DEV, t0()).unwrap();
    let mail =
        MailConfig::from_variables(Some("http://correo/enviar".into()), Some("t".into())).unwrap();
    let sent = RefCell::new(Vec::new());
    let send = |m: MailRequest| {
        sent.borrow_mut().push(m.body);
        async { Ok(202) }
    };
    let out = futures::executor::block_on(done.deliver(&kv, Some(&mail), t0(), send)).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].estado, Estado::Enviada);
    let zip = test_set_attachment(&kv, &done.notifications[0]).unwrap();
    let body = String::from_utf8(sent.borrow()[0].clone()).unwrap();
    assert!(
        body.contains(&zip.nombre),
        "the set travels attached: {body}"
    );
    let v = done
        .view(&kv, t0(), crate::view::Viewer::Desarrollador)
        .unwrap();
    assert_eq!(v.folio, done.certification.folio);
}
