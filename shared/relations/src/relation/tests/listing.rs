use super::*;

#[test]
fn import_lists_in_order_and_keeps_uniqueness() {
    let w = world();
    let mk = |dev: &str, cancelled: bool| to_import(dev, cancelled.then_some("0500000999"));
    let ids = import(
        &*w.kv,
        vec![mk(DEV, true), mk(DEV, false), mk(DEV_2, false)],
        t0(),
    )
    .unwrap();
    assert_eq!(ids.len(), 3);
    let rows = list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap();
    let listed: Vec<&str> = rows.iter().map(|r| r.no_caso.as_str()).collect();
    assert_eq!(listed, [&ids[2], &ids[1], &ids[0]]);
    assert_eq!(
        w.add(DEV, "2027-01-01").unwrap_err().codigo(),
        "RELACION_DUPLICADA"
    );
    assert_eq!(
        import(&*w.kv, vec![mk(DEV_2, false)], t0())
            .unwrap_err()
            .codigo(),
        "RELACION_DUPLICADA"
    );
    assert_eq!(
        list(&*w.kv, DEV_2, Viewer::Desarrollador, t0())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn pages_are_newest_first_and_the_export_is_capped() {
    let w = world();
    let cancelled = |i: u32| to_import(DEV, Some(&format!("{:010}", 900_000_000 + i)));
    let ids = import(&*w.kv, (0..7).map(cancelled).collect(), t0()).unwrap();
    let at = |pagina, por_pagina| {
        page(
            &*w.kv,
            PATRON,
            Viewer::Patron,
            t0(),
            Page { pagina, por_pagina },
        )
        .unwrap()
    };
    fn cases(l: &Listing) -> Vec<&String> {
        l.relaciones.iter().map(|r| &r.no_caso).collect()
    }
    let first = at(1, 3);
    assert_eq!(cases(&first), [&ids[6], &ids[5], &ids[4]]);
    assert_eq!(
        (first.pagina, first.por_pagina, first.total, first.hay_mas),
        (1, 3, 7, true)
    );
    assert_eq!(cases(&at(2, 3)), [&ids[3], &ids[2], &ids[1]]);
    let last = at(3, 3);
    assert_eq!(cases(&last), [&ids[0]]);
    assert!(!last.hay_mas);
    let beyond = at(4, 3);
    assert!(beyond.relaciones.is_empty() && !beyond.hay_mas && beyond.total == 7);
    assert!(at(1_000_000, MAX_POR_PAGINA).relaciones.is_empty());
    let whole = at(1, MAX_POR_PAGINA);
    assert_eq!(
        whole.relaciones,
        list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap()
    );
    assert!(!whole.hay_mas);

    // An entry whose record was rolled back is counted but not shown.
    w.kv.delete(&key(&ids[5])).unwrap();
    let first = at(1, 3);
    assert_eq!(cases(&first), [&ids[6], &ids[4]]);
    assert_eq!((first.total, first.hay_mas), (7, true));

    // The export reads no record of a table over its cap.
    let e = list_at_most(&*w.kv, PATRON, Viewer::Patron, t0(), 6).unwrap_err();
    assert_eq!(e.codigo(), "TABLA_DEMASIADO_GRANDE");
    assert!(
        e.mensaje().contains("tiene 7 relaciones"),
        "{}",
        e.mensaje()
    );
    let rows = list_at_most(&*w.kv, PATRON, Viewer::Patron, t0(), 7).unwrap();
    assert_eq!(rows.len(), 6);
}

/// A table costs a few store round trips, not one per row: the index, the records in batches,
/// the developers' records once each.
#[test]
fn a_table_reads_its_records_in_batches() {
    let w = world();
    let cancelled = |i: u32| to_import(DEV, Some(&format!("{:010}", 900_000_000 + i)));
    let n = avisos_kv::BATCH * 2 + 10;
    import(&*w.kv, (0..n as u32).map(cancelled).collect(), t0()).unwrap();
    // Live relations with forty developers: their records are read too, in one batch.
    let devs: Vec<String> = (0..40).map(|i| rfc(&format!("DES1901{i:02}AB"))).collect();
    for d in &devs {
        certify(&*w.kv, d, CertStatus::Autorizada);
    }
    import(
        &*w.kv,
        devs.iter().map(|d| to_import(d, None)).collect(),
        t0(),
    )
    .unwrap();
    let counting = avisos_kv::CountingKv::new(&*w.kv);
    let rows = list(&counting, PATRON, Viewer::Patron, t0()).unwrap();
    assert_eq!(rows.len(), n + devs.len());
    assert!(
        rows.iter()
            .filter(|r| r.estatus == "Relación Vigente")
            .count()
            >= devs.len()
    );
    assert!(
        counting.trips() <= 8,
        "{} round trips for {} rows",
        counting.trips(),
        rows.len()
    );
    assert_eq!(rows, list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap());
}
