use super::*;

/// Whether `DEV` may consult `PATRON`'s avisos at `now`, through which relation.
fn access(w: &World, now: DateTime<Utc>) -> Option<Relation> {
    authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, now).unwrap()
}

/// Row `no_caso` of `rfc`'s table today.
fn row(w: &World, rfc: &str, viewer: Viewer, no_caso: &str) -> Row {
    list(&*w.kv, rfc, viewer, t0())
        .unwrap()
        .into_iter()
        .find(|r| r.no_caso == no_caso)
        .unwrap()
}

#[test]
fn a_new_certification_does_not_revive_old_relations() {
    let w = world();
    let old = w.add(DEV, "2027-11-23").unwrap().registro.folio;
    let other = w.add(DEV_2, "2027-11-23").unwrap().registro.folio;
    assert_eq!(
        load(&*w.kv, &old)
            .unwrap()
            .unwrap()
            .generacion_certificacion,
        Some(1)
    );
    assert!(access(&w, t0()).is_some());
    let cancelled_on = cancelled(&w, &old);
    certified_again(&w, &old, &other, cancelled_on);
    a_new_relation_after_the_new_certification(&w, &old);
}

/// Cancelled: no access, and the table says why and since when at once. Returns the day.
fn cancelled(w: &World, old: &str) -> NaiveDate {
    let cancelled_at = t0() + days(3);
    let cancelled_on = crate::today(cancelled_at);
    certify_at(&*w.kv, DEV, CertStatus::Cancelada, cancelled_at);
    assert!(access(w, t0()).is_none());
    let r = row(w, PATRON, Viewer::Patron, old);
    assert_eq!(r.estatus, "Relación no vigente");
    let m = r.motivo.unwrap();
    assert_eq!(m.codigo, MOTIVO_CERTIFICACION_CANCELADA);
    assert!(m.texto.contains("Si se certifica de nuevo"), "{}", m.texto);
    assert_eq!(m.fecha, Some(cancelled_on));
    let when = format!("fue cancelada el {}", crate::fecha_guia(cancelled_on));
    assert!(m.texto.contains(&when), "{}", m.texto);
    cancelled_on
}

/// Certified again: a new generation, and the old relation stays unusable (its date is the old
/// generation's cancellation, not the new authorisation).
fn certified_again(w: &World, old: &str, other: &str, cancelled_on: NaiveDate) {
    certify_at(&*w.kv, DEV, CertStatus::Autorizada, t0() + days(5));
    assert_eq!(directory::load(&*w.kv, DEV).unwrap().unwrap().generacion, 2);
    assert!(access(w, t0()).is_none());
    assert!(
        live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
            .unwrap()
            .is_none()
    );
    let r = row(w, PATRON, Viewer::Patron, old);
    assert_eq!(
        (r.estatus, r.cancelable, r.fecha_cancelacion_anticipada),
        ("Relación no vigente", true, None)
    );
    let m = r.motivo.unwrap();
    assert_eq!(m.codigo, MOTIVO_CERTIFICACION_CANCELADA);
    assert!(
        m.texto.contains(
            "se certificó de nuevo: para que consulte tus avisos, registra una nueva relación"
        ),
        "{}",
        m.texto
    );
    assert_eq!(m.fecha, Some(cancelled_on));
    let when = format!("fue cancelada el {}", crate::fecha_guia(cancelled_on));
    assert!(m.texto.contains(&when), "{}", m.texto);
    let mine = row(w, DEV, Viewer::Desarrollador, old);
    assert_eq!(mine.estatus, "Relación no vigente");
    assert!(
        mine.motivo.unwrap().texto.starts_with("Tu certificación"),
        "the developer's view speaks to the developer"
    );
    // Another developer's relation is untouched.
    assert_eq!(
        row(w, PATRON, Viewer::Patron, other).estatus,
        "Relación Vigente"
    );
}

/// The old relation does not block a new one with the same developer.
fn a_new_relation_after_the_new_certification(w: &World, old: &str) {
    let new = w.add(DEV, "2027-06-30").unwrap();
    assert_eq!(new.relacion.estatus, "Relación Vigente");
    assert_eq!(
        load(&*w.kv, &new.registro.folio)
            .unwrap()
            .unwrap()
            .generacion_certificacion,
        Some(2)
    );
    assert_eq!(access(w, t0()).unwrap().no_caso, new.registro.folio);
    // The new one does.
    assert_eq!(
        w.add(DEV, "2027-01-31").unwrap_err().codigo(),
        "RELACION_DUPLICADA"
    );
    // «Borrar» on the old one still works and leaves the new one alone.
    let c = w.cancel_at(PATRON, old, t0()).unwrap();
    assert_eq!(c.relacion.estatus, "Relación cancelada por usuario");
    assert_eq!(access(w, t0()).unwrap().no_caso, new.registro.folio);
    // An expired relation keeps its own reason.
    let later = t0() + days(400);
    let expired = list(&*w.kv, PATRON, Viewer::Patron, later)
        .unwrap()
        .into_iter()
        .find(|r| r.no_caso == new.registro.folio)
        .unwrap();
    assert_eq!(expired.estatus, "Relación no vigente");
    assert_eq!(
        expired.motivo.unwrap(),
        Motivo {
            codigo: MOTIVO_VIGENCIA_TERMINADA,
            texto: "Su vigencia terminó el 30/jun/2027.".into(),
            fecha: Some(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()),
        }
    );
}

/// Relations and developer records written before generations existed.
#[test]
fn relations_from_before_generations() {
    let kv = MemoryKv::new();
    let legacy_developer = |at: &str| {
        let json = format!(
            r#"{{"rfc":"{DEV}","razon_social":"NOMINAS DEMOSTRACION SA DE CV","estatus":"Certificación autorizada","actualizado":"{at}","folio":"0500000001","registrado_por":"{ANALISTA}"}}"#
        );
        kv.set(&format!("desarrollador:{DEV}"), json.as_bytes())
            .unwrap();
    };
    // A relation record as written before generations (no `generacion_certificacion`).
    let mut r = to_import(DEV, None);
    r.generacion_certificacion = None;
    let bytes = serde_json::to_vec(&r).unwrap();
    let json = String::from_utf8(bytes).unwrap();
    assert!(json.contains(r#""generacion_certificacion":null"#));
    let legacy_json = json.replace(r#""generacion_certificacion":null,"#, "");
    let parsed: Relation = serde_json::from_str(&legacy_json).unwrap();
    assert_eq!(parsed.generacion_certificacion, None);
    let no_caso = import(&kv, vec![parsed], t0()).unwrap().remove(0);
    let access = || {
        authorizes(&kv, PATRON, DEV, Servicio::Avisos, t0())
            .unwrap()
            .is_some()
    };
    // The developer's record last changed before the relation was granted: it was granted
    // under the current certification.
    legacy_developer("2026-11-01T00:00:00Z");
    assert!(access());
    // Changed after: it may have been cancelled and certified again in between: refused.
    legacy_developer("2026-11-24T00:00:00Z");
    assert!(!access());
    let row = &list(&kv, PATRON, Viewer::Patron, t0()).unwrap()[0];
    assert_eq!(
        (row.no_caso.as_str(), row.estatus),
        (no_caso.as_str(), "Relación no vigente")
    );
    // Authorised anew since generations exist (generation 1): refused.
    legacy_developer("2026-11-01T00:00:00Z");
    certify(&kv, DEV, CertStatus::Cancelada);
    certify(&kv, DEV, CertStatus::Autorizada);
    assert_eq!(directory::load(&kv, DEV).unwrap().unwrap().generacion, 1);
    assert!(!access());
}

#[test]
fn a_relation_granted_under_a_legacy_authorisation_lasts_until_the_next_one() {
    let kv = MemoryKv::new();
    let json = format!(
        r#"{{"rfc":"{DEV}","razon_social":"NOMINAS DEMOSTRACION SA DE CV","estatus":"Certificación autorizada","actualizado":"2026-11-01T00:00:00Z","folio":"0500000001","registrado_por":"{ANALISTA}"}}"#
    );
    kv.set(&format!("desarrollador:{DEV}"), json.as_bytes())
        .unwrap();
    let mut r = to_import(DEV, None);
    r.generacion_certificacion = Some(0);
    import(&kv, vec![r], t0()).unwrap();
    let access = || {
        authorizes(&kv, PATRON, DEV, Servicio::Avisos, t0())
            .unwrap()
            .is_some()
    };
    assert!(access());
    // A rename keeps the authorisation (and its generation 0).
    certify(&kv, DEV, CertStatus::Autorizada);
    assert_eq!(directory::load(&kv, DEV).unwrap().unwrap().generacion, 0);
    assert!(access());
    certify(&kv, DEV, CertStatus::Cancelada);
    certify(&kv, DEV, CertStatus::Autorizada);
    assert!(!access());
}
