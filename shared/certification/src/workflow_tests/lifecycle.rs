//! The state machine from request to cancellation, its inputs, its races and its e-mails.

use super::*;

/// The whole state machine on one request, step by step: each step checks what it did and
/// hands the next one what it needs.
#[test]
fn the_whole_state_machine() {
    let kv = MemoryKv::new();
    let t = t0();
    let folio = requested_and_rejected(&kv, t);
    uploaded_with_inconsistencies(&kv, &folio, t);
    let later = t + Duration::days(1);
    approved_and_accepted(&kv, &folio, later);
    cancelled_once(&kv, &folio, later);
}

/// A request, the second one refused, a rejected workbook that changes nothing, and someone
/// else's folio that looks missing.
fn requested_and_rejected(kv: &MemoryKv, t: DateTime<Utc>) -> String {
    let kv: &dyn KeyValue = kv;
    let done = solicitar(kv, DEV, t).unwrap();
    let folio = done.certification.folio.clone();
    assert_eq!(done.certification.estatus, StoredEstatus::EnEspera);
    assert_eq!(done.notifications[0].evento, Evento::SetDePruebas);
    assert!(
        done.acuse.terminos.is_some(),
        "the responsiva carries the terms"
    );
    let zip = test_set_attachment(kv, &done.notifications[0]).expect("the set travels attached");
    assert_eq!(
        zip.contenido,
        avisos_evidence::generate(&done.certification.test_set_id()).package_zip()
    );
    assert_eq!(
        solicitar(kv, DEV, t).unwrap_err().codigo(),
        "CERTIFICACION_EN_CURSO"
    );

    // A rejected workbook changes nothing.
    let before = kv.get(&record::key(&folio)).unwrap();
    let bad = workbook(
        kv,
        &folio,
        &SampleOptions {
            omit_tab: Some(2),
            ..Default::default()
        },
    );
    match subir(kv, DEV, &folio, &bad, t) {
        Err(UploadError::Rejected(r)) => assert!(r.problems.iter().any(|p| p.pestana == 2)),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(kv.get(&record::key(&folio)).unwrap(), before);
    // Someone else's folio looks missing.
    match subir(kv, DEV_2, &folio, &bad, t) {
        Err(UploadError::Refused(e)) => assert_eq!(e.codigo(), "CERTIFICACION_NO_ENCONTRADA"),
        other => panic!("{other:?}"),
    }
    folio
}

/// Accepted with a wrong amount (graded, «En análisis»), then inconsistencias: a new round.
fn uploaded_with_inconsistencies(kv: &MemoryKv, folio: &str, t: DateTime<Utc>) {
    let kv: &dyn KeyValue = kv;
    let folio = folio.to_string();
    // Accepted with a wrong amount: graded, «En análisis».
    let first_case =
        avisos_evidence::generate(&record::load(kv, &folio).unwrap().unwrap().test_set_id()).casos
            [0]
        .id
        .clone();
    let wb = workbook(
        kv,
        &folio,
        &SampleOptions {
            wrong_amount_case: Some(first_case),
            ..Default::default()
        },
    );
    let c = subir(kv, DEV, &folio, &wb, t).unwrap();
    assert_eq!(c.estatus, StoredEstatus::EnAnalisis);
    let e = c.ronda_actual().evidencia.clone().unwrap();
    assert_eq!(e.calificacion.correctos + 1, e.calificacion.total);
    assert_eq!(stored_workbook(kv, &c, None).unwrap().1, wb);
    assert_eq!(
        list(kv, Estatus::EnAnalisis, 1, t).unwrap().solicitudes[0].folio,
        folio
    );
    assert!(
        list(kv, Estatus::EnEspera, 1, t)
            .unwrap()
            .solicitudes
            .is_empty()
    );

    // Inconsistencias: a new round with 10 business days.
    assert_eq!(
        dictamen(kv, &folio, "inconsistencias", "", t)
            .unwrap_err()
            .codigo(),
        "OBSERVACIONES_REQUERIDAS"
    );
    let d = dictamen(kv, &folio, "inconsistencias", "Revisa el caso 1.", t).unwrap();
    assert_eq!(d.certification.estatus, StoredEstatus::EnEspera);
    assert_eq!(d.certification.rondas.len(), 2);
    assert_eq!(
        d.certification.plazo.as_ref().unwrap().dias,
        deadline::DIAS_CORRECCION
    );
    assert_eq!(d.notifications[0].evento, Evento::Inconsistencias);
    assert!(d.notifications[0].texto.contains("Revisa el caso 1."));
    assert_ne!(d.certification.test_set_id(), c.test_set_id());
}

/// Correct evidence for round 2, approval, acceptance → directory.
fn approved_and_accepted(kv: &MemoryKv, folio: &str, later: DateTime<Utc>) {
    let kv: &dyn KeyValue = kv;
    let folio = folio.to_string();
    let wb = workbook(kv, &folio, &SampleOptions::default());
    subir(kv, DEV, &folio, &wb, later).unwrap();
    let d = dictamen(kv, &folio, "aprobar", "", later).unwrap();
    assert_eq!(d.certification.estatus, StoredEstatus::Aprobado);
    assert_eq!(d.notifications[0].evento, Evento::Aprobacion);
    assert!(
        directory::load(kv, DEV).unwrap().is_none(),
        "not listed before signing"
    );
    let s = session(DEV, Role::Desarrollador);
    let a = accept(
        kv,
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
    assert_eq!(a.certification.estatus, StoredEstatus::Autorizada);
    // The `autorizacion` e-mail, queued and listed once the record lists the acceptance.
    assert_eq!(a.notifications.len(), 1);
    assert_eq!(a.notifications[0].evento, Evento::Autorizacion);
    assert_eq!(
        a.notifications[0].acto.as_deref(),
        Some(a.acuse.folio.as_str())
    );
    assert!(notify::confirmed(kv, &a.notifications[0]).unwrap());
    assert!(
        notify::queued(kv, 10)
            .unwrap()
            .contains(&a.notifications[0].id)
    );
    let d = directory::load(kv, DEV).unwrap().unwrap();
    assert_eq!(
        (d.estatus, d.folio.as_str()),
        (CertStatus::Autorizada, a.acuse.folio.as_str())
    );
    assert_eq!(
        solicitar(kv, DEV, later).unwrap_err().codigo(),
        "CERTIFICACION_EN_CURSO"
    );
}

/// Cancellation: out of the directory, claim free, acuse handed over once; a new request.
fn cancelled_once(kv: &MemoryKv, folio: &str, later: DateTime<Utc>) {
    let kv: &dyn KeyValue = kv;
    let folio = folio.to_string();
    let s = session(DEV, Role::Desarrollador);
    let c = cancel(
        kv,
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
    assert_eq!(c.certification.estatus, StoredEstatus::Cancelada);
    assert_eq!(
        directory::load(kv, DEV).unwrap().unwrap().estatus,
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
        take_cancellation_receipt(kv, &other_session, &folio, "tok")
            .unwrap_err()
            .codigo(),
        "ACUSE_NO_ENCONTRADO"
    );
    assert_eq!(
        take_cancellation_receipt(kv, &s, &folio, "mal")
            .unwrap_err()
            .codigo(),
        "ACUSE_NO_ENCONTRADO"
    );
    assert_eq!(
        take_cancellation_receipt(kv, &s, &folio, "tok")
            .unwrap()
            .folio,
        c.acuse.folio
    );
    assert_eq!(
        take_cancellation_receipt(kv, &s, &folio, "tok").unwrap_err(),
        crate::CertificationError::CancellationReceiptDelivered
    );
    assert_eq!(
        cancel(
            kv,
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
        .codigo(),
        "CERTIFICACION_NO_VIGENTE"
    );
    assert_eq!(
        list(kv, Estatus::Cancelada, 1, later)
            .unwrap()
            .solicitudes
            .len(),
        1
    );
    let again = solicitar(kv, DEV, later).unwrap();
    assert_ne!(again.certification.folio, folio);
    assert_eq!(current(kv, &s).unwrap().folio, again.certification.folio);
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
            .codigo(),
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
        .codigo(),
        "OBSERVACIONES_DEMASIADO_LARGAS"
    );
    assert_eq!(
        dictamen(&kv, "0500000001", "otro", "", t0())
            .unwrap_err()
            .codigo(),
        "RESULTADO_INVALIDO"
    );
    assert_eq!(
        dictamen(&kv, "0500000001", "aprobar", "", t0())
            .unwrap_err()
            .codigo(),
        "CERTIFICACION_NO_ENCONTRADA"
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
