use super::*;

#[test]
fn status_is_computed_from_the_clock() {
    let w = world();
    let added = w.add(DEV, "2026-12-01").unwrap();
    let at = |d: i64| list(&*w.kv, PATRON, Viewer::Patron, t0() + days(d)).unwrap()[0].clone();
    assert_eq!(at(8).estatus, "Relación Vigente", "the end day is included");
    assert!(at(8).cancelable);
    assert_eq!(at(9).estatus, "Relación no vigente");
    assert!(!at(9).cancelable);
    assert!(
        live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0() + days(9))
            .unwrap()
            .is_none()
    );
    // An expired relation cannot be cancelled.
    assert_eq!(
        w.cancel_at(PATRON, &added.registro.folio, t0() + days(9))
            .unwrap_err()
            .codigo(),
        "RELACION_NO_VIGENTE"
    );
}

#[test]
fn cancellation_rules() {
    let w = world();
    let added = w.add(DEV, "2027-11-23").unwrap();
    let no_caso = added.registro.folio.clone();
    // Someone else's relation, or a missing one: the same 404.
    assert_eq!(
        w.cancel_at(PATRON_2, &no_caso, t0()).unwrap_err().codigo(),
        "RELACION_NO_ENCONTRADA"
    );
    assert_eq!(
        w.cancel_at(PATRON, "0599999999", t0())
            .unwrap_err()
            .codigo(),
        "RELACION_NO_ENCONTRADA"
    );
    assert_eq!(
        w.cancel_at(PATRON, "../x", t0()).unwrap_err().codigo(),
        "RELACION_NO_ENCONTRADA"
    );
    let later = t0() + days(3);
    let c = w.cancel_at(PATRON, &no_caso, later).unwrap();
    assert_eq!(c.relacion.estatus, "Relación cancelada por usuario");
    assert_eq!(
        c.relacion.fecha_cancelacion_anticipada,
        Some(crate::today(later))
    );
    assert_eq!(c.relacion.texto.fecha_cancelacion_anticipada, "26/nov/2026");
    assert_eq!(
        c.relacion.acuse_cancelacion,
        Some(format!("/api/v1/acuses/{}", c.registro.folio))
    );
    assert!(!c.relacion.cancelable);
    assert!(acuse_json(&*w.kv, &c.registro.folio).contains(ACUSE_CANCELACION));
    assert_eq!(
        w.cancel_at(PATRON, &no_caso, later).unwrap_err().codigo(),
        "RELACION_YA_CANCELADA"
    );
    assert!(
        live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, later)
            .unwrap()
            .is_none()
    );
    // The claim was released.
    assert_eq!(
        w.kv.get(&claim_key(PATRON, DEV, Servicio::Avisos)).unwrap(),
        Some(Vec::new())
    );
}
