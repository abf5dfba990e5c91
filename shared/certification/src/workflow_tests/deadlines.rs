//! The deadlines: when they start, when a request is `Vencida`, and a late review.

use super::*;

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
        Err(UploadError::Refused(e)) => assert_eq!(e.codigo(), "CERTIFICACION_VENCIDA"),
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
    assert_eq!(d.certification.estatus, StoredEstatus::Aprobado);
    assert_eq!(shown(&kv, &folio, late), Estatus::Aprobado);
    // Approved requests have no deadline.
    assert_eq!(
        shown(&kv, &folio, late + Duration::days(400)),
        Estatus::Aprobado
    );
}
