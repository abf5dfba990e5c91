//! Item 8, the directory: concurrent writers lose nothing.

use super::*;

/// Writers racing on one developer's directory record: each change is a compare-and-swap on the
/// record it read, so none is lost (every toggle counts in the generation) and the search
/// buckets end as the last record says.
///
/// Sixteen toggles in all, fewer than a value's write history (`avisos_kv::envelope::HISTORY`):
/// a writer buried under more writes than that between its swap and its read-back cannot find
/// its write and is told it lost, which only an idempotent change (all the app makes) survives;
/// a toggle is not one. With 100 toggles this failed now and then on a loaded 2-core machine.
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
                    for i in 0..4 {
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
        assert_eq!(toggles.load(Ordering::SeqCst), 16);
        let d = directory::load(&*kv, DEV).unwrap().unwrap();
        // 16 toggles from cancelled: 8 authorisations, the last one cancelled again.
        assert_eq!(
            (d.estatus, d.generacion),
            (CertStatus::Cancelada, 8),
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
            crate::StoredEstatus::Cancelada
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
