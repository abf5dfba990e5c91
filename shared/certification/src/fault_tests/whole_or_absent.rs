//! Every act whole or absent at each store failure, and finished by its retry.

use super::*;

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
/// left the developer authorised, and its retry was refused as not live.
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
        if record::load(&kv2, &s.folio).unwrap().unwrap().estatus == crate::StoredEstatus::Cancelada
        {
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
            assert_eq!(e.codigo(), "CERTIFICACION_NO_VIGENTE");
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
