use super::*;

#[test]
fn add_registers_a_live_relation_with_its_acuse_and_rows() {
    let w = world();
    let added = w.add(DEV, "2027-11-23").unwrap();
    let no_caso = added.registro.folio.clone();
    assert_eq!(no_caso.len(), 10);
    assert_eq!(added.relacion.no_caso, no_caso);
    assert_eq!(added.relacion.estatus, "Relación Vigente");
    assert_eq!(added.relacion.texto.fecha_inicio_vigencia, "23/nov/2026");
    assert_eq!(added.relacion.texto.fin_vigencia, "23/nov/2027");
    assert_eq!(added.relacion.texto.fecha_cancelacion_anticipada, "");
    assert!(added.relacion.cancelable);
    assert_eq!(
        added.registro.acuse,
        Some(format!("/api/v1/acuses/{no_caso}"))
    );

    let acuse = acuse_json(&*w.kv, &no_caso);
    assert!(acuse.contains(ACUSE_ALTA));
    assert!(acuse.contains("NOMINAS DEMOSTRACION SA DE CV"));
    assert!(!acuse.contains(&password::normalize_input(&w.password)));

    let rows = list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap();
    assert_eq!(rows, vec![added.relacion.clone()]);
    assert_eq!(rows[0].rfc, DEV);
    assert_eq!(rows[0].razon_social, "NOMINAS DEMOSTRACION SA DE CV");
    // The developer's read-only view names the employer, without acuses or «Borrar».
    let dev_rows = list(&*w.kv, DEV, Viewer::Desarrollador, t0()).unwrap();
    assert_eq!(dev_rows.len(), 1);
    assert_eq!(dev_rows[0].rfc, PATRON);
    assert_eq!(dev_rows[0].razon_social, "EMPRESA DEMOSTRACION SA DE CV");
    assert_eq!(
        (dev_rows[0].acuse.clone(), dev_rows[0].cancelable),
        (None, false)
    );
    assert!(
        list(&*w.kv, DEV_2, Viewer::Desarrollador, t0())
            .unwrap()
            .is_empty()
    );
    // Access rule.
    let live = live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, t0()).unwrap();
    assert_eq!(live.unwrap().no_caso, no_caso);
    assert!(
        live_relation(&*w.kv, PATRON, DEV_2, Servicio::Avisos, t0())
            .unwrap()
            .is_none()
    );
    let r = load(&*w.kv, &no_caso).unwrap().unwrap();
    assert_eq!(r.generacion_contrasena, 1);
    // Access needs the developer's certification too.
    assert!(
        authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
            .unwrap()
            .is_some()
    );
    certify(&*w.kv, DEV, CertStatus::Cancelada);
    assert!(
        authorizes(&*w.kv, PATRON, DEV, Servicio::Avisos, t0())
            .unwrap()
            .is_none()
    );
    // The table says why; «Borrar» still applies.
    let row = list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap()[0].clone();
    assert_eq!(row.estatus, "Relación no vigente");
    assert_eq!(row.motivo.unwrap().codigo, MOTIVO_CERTIFICACION_CANCELADA);
    assert!(row.cancelable);
}

#[test]
fn refusals_of_an_addition() {
    let w = world();
    let code = |r: Result<Added, RelationError>| r.unwrap_err().codigo();
    certify(&*w.kv, "PME380607P35", CertStatus::Cancelada);
    assert_eq!(
        code(w.add("PME380607P35", "2027-01-01")),
        "DESARROLLADOR_NO_CERTIFICADO"
    );
    assert_eq!(
        code(w.add("XAXX010101000", "2027-01-01")),
        "RFC_DESARROLLADOR_INVALIDO"
    );
    assert_eq!(
        code(w.add_at(DEV, "2027-01-01", t0(), "AAAAA-AAAAA-AAAAA-AAAAA")),
        "CONTRASENA_INCORRECTA"
    );
    assert_eq!(code(w.add(DEV, "2026-11-22")), "VIGENCIA_FIN_PASADA");
    assert_eq!(code(w.add(DEV, "2028-11-24")), "VIGENCIA_EXCEDE_MAXIMO");
    assert_eq!(code(w.add(DEV, "23/11/2027")), "FECHA_VIGENCIA_INVALIDA");
    // Wrong start (signed yesterday's date).
    let act = add_act(PATRON, DEV, "2026-11-22", "2027-01-01");
    assert_eq!(
        request(&act, t0()).unwrap_err().codigo(),
        "VIGENCIA_INICIO_INVALIDA"
    );
    // Another service.
    let act = act_with_terms(
        PATRON,
        "ADICIONAR_RELACION",
        None,
        &[
            ("servicio", "Nómina"),
            ("rfc_desarrollador", DEV),
            ("inicio_vigencia", "2026-11-23"),
            ("fin_vigencia", "2027-01-01"),
        ],
    );
    assert_eq!(
        request(&act, t0()).unwrap_err().codigo(),
        "SERVICIO_INVALIDO"
    );
    // Employer without a password.
    let act = add_act(PATRON_2, DEV, "2026-11-23", "2027-01-01");
    let req = request(&act, t0()).unwrap();
    assert_eq!(
        add(&*w.kv, &w.seal, &act, &req, password::typed("x"), t0())
            .unwrap_err()
            .codigo(),
        "CONTRASENA_NO_GENERADA"
    );
    // Nothing was registered by any refusal.
    assert!(
        list(&*w.kv, PATRON, Viewer::Patron, t0())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn duplicate_until_cancelled_or_expired() {
    let w = world();
    let first = w.add(DEV, "2027-01-31").unwrap();
    assert_eq!(
        w.add(DEV, "2027-03-01").unwrap_err().codigo(),
        "RELACION_DUPLICADA"
    );
    // Another developer is fine.
    w.add(DEV_2, "2027-03-01").unwrap();
    // After cancelling, a new relation with the same developer is allowed.
    w.cancel_at(PATRON, &first.registro.folio, t0()).unwrap();
    let second = w.add(DEV, "2027-01-31").unwrap();
    // After it expires, too.
    let later = t0() + days(70);
    let inicio = crate::today(later);
    assert!(inicio > NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    let third = w
        .add_at(
            DEV,
            &vigencia::add_months(inicio, 3).to_string(),
            later,
            &w.password,
        )
        .unwrap();
    let rows = list(&*w.kv, PATRON, Viewer::Patron, later).unwrap();
    let status: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.no_caso.as_str(), r.estatus))
        .collect();
    assert_eq!(
        status,
        vec![
            (third.registro.folio.as_str(), "Relación Vigente"),
            (second.registro.folio.as_str(), "Relación no vigente"),
            (rows[2].no_caso.as_str(), "Relación Vigente"),
            (
                first.registro.folio.as_str(),
                "Relación cancelada por usuario"
            ),
        ]
    );
    assert_eq!(
        live_relation(&*w.kv, PATRON, DEV, Servicio::Avisos, later)
            .unwrap()
            .unwrap()
            .no_caso,
        third.registro.folio
    );
}

#[test]
fn regenerating_the_password_keeps_relations_but_needs_the_new_one() {
    let w = world();
    w.add(DEV, "2027-11-23").unwrap();
    let g = password::generate(
        &*w.kv,
        &w.seal,
        &act(PATRON, "GENERAR_CONTRASENA", &[]),
        avisos_acts::testutil::password_key(),
        t0(),
        counter_random(77),
        [5; 16],
    )
    .unwrap();
    assert_eq!(
        list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap()[0].estatus,
        "Relación Vigente"
    );
    assert_eq!(
        w.add(DEV_2, "2027-11-23").unwrap_err().codigo(),
        "CONTRASENA_INCORRECTA"
    );
    let r = w.add_at(DEV_2, "2027-11-23", t0(), &g.contrasena).unwrap();
    assert_eq!(
        load(&*w.kv, &r.registro.folio)
            .unwrap()
            .unwrap()
            .generacion_contrasena,
        2
    );
}
