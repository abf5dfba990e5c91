use super::*;

#[test]
fn concurrent_additions_of_the_same_relation_have_one_winner() {
    let w = Arc::new(world());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let w = w.clone();
            std::thread::spawn(move || w.add(DEV, "2027-11-23").map(|a| a.registro.folio))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.codigo(), "RELACION_DUPLICADA");
        }
    }
    let rows = list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0].no_caso, wins[0]);
    // Losers left no record behind.
    let records = (1..=40)
        .filter(|n| {
            w.kv.exists(&format!("relacion:{:010}", 500_000_000 + n))
                .unwrap()
        })
        .count();
    assert_eq!(records, 1);
}

#[test]
fn concurrent_additions_to_different_developers_all_get_listed() {
    let w = Arc::new(world());
    let devs: Vec<String> = (0..12)
        .map(|i| rfc(&format!("CCC0101{:02}AB", i + 1)))
        .collect();
    for d in &devs {
        certify(&*w.kv, d, CertStatus::Autorizada);
    }
    let handles: Vec<_> = devs
        .iter()
        .cloned()
        .map(|d| {
            let w = w.clone();
            std::thread::spawn(move || w.add(&d, "2027-11-23").unwrap())
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        list(&*w.kv, PATRON, Viewer::Patron, t0()).unwrap().len(),
        12
    );
}

#[test]
fn stale_claims_are_taken_over_and_failures_roll_back() {
    let w = world();
    let ck = claim_key(PATRON, DEV, Servicio::Avisos);
    // A claim whose record is missing (its request gave up): free.
    w.kv.set(&ck, b"0599999999|1").unwrap();
    let a = w.add(DEV, "2027-11-23").unwrap();
    assert!(
        String::from_utf8(w.kv.get(&ck).unwrap().unwrap())
            .unwrap()
            .starts_with(&a.registro.folio)
    );
    // A corrupt claim is an internal error, never silently overwritten.
    w.kv.set(&claim_key(PATRON, DEV_2, Servicio::Avisos), b"basura")
        .unwrap();
    assert_eq!(
        w.add(DEV_2, "2027-11-23").unwrap_err().codigo(),
        "ERROR_INTERNO"
    );
}

/// A store whose writes fail after `n` successful ones (to cut an addition midway).
struct CutKv {
    inner: MemoryKv,
    writes_left: std::sync::Mutex<usize>,
}

impl CutKv {
    fn write(&self) -> Result<(), avisos_kv::KvError> {
        let mut n = self.writes_left.lock().unwrap();
        if *n == 0 {
            return Err(avisos_kv::KvError::Unavailable("cut".into()));
        }
        *n -= 1;
        Ok(())
    }
}

impl KeyValue for CutKv {
    fn get(&self, k: &str) -> Result<Option<Vec<u8>>, avisos_kv::KvError> {
        self.inner.get(k)
    }
    fn set(&self, k: &str, v: &[u8]) -> Result<(), avisos_kv::KvError> {
        self.write()?;
        self.inner.set(k, v)
    }
    fn delete(&self, k: &str) -> Result<(), avisos_kv::KvError> {
        self.inner.delete(k)
    }
    fn exists(&self, k: &str) -> Result<bool, avisos_kv::KvError> {
        self.inner.exists(k)
    }
    fn increment(&self, k: &str, d: i64) -> Result<i64, avisos_kv::KvError> {
        self.write()?;
        self.inner.increment(k, d)
    }
    fn compare_and_swap(
        &self,
        k: &str,
        e: Option<&[u8]>,
        n: &[u8],
    ) -> Result<bool, avisos_kv::KvError> {
        self.write()?;
        self.inner.compare_and_swap(k, e, n)
    }
}

#[test]
fn a_failure_at_any_write_leaves_no_visible_relation() {
    // Writes of an addition: folio, acuse, record, claim, developer index, employer index.
    for cut in 0..6 {
        let base = world();
        let kv = CutKv {
            inner: MemoryKv::new(),
            writes_left: std::sync::Mutex::new(usize::MAX),
        };
        // Copy the world's state (developers, password) into the cuttable store.
        certify(&kv, DEV, CertStatus::Autorizada);
        let g = password::generate(
            &kv,
            &base.seal,
            &act(PATRON, "GENERAR_CONTRASENA", &[]),
            avisos_acts::testutil::password_key(),
            t0(),
            counter_random(3),
            [4; 16],
        )
        .unwrap();
        *kv.writes_left.lock().unwrap() = cut;
        let act = add_act(PATRON, DEV, "2026-11-23", "2027-11-23");
        let req = request(&act, t0()).unwrap();
        let e = add(
            &kv,
            &base.seal,
            &act,
            &req,
            password::typed(&g.contrasena),
            t0(),
        )
        .unwrap_err();
        assert_eq!(e.codigo(), "ALMACEN_NO_DISPONIBLE", "cut at {cut}");
        *kv.writes_left.lock().unwrap() = usize::MAX;
        assert!(
            list(&kv, PATRON, Viewer::Patron, t0()).unwrap().is_empty(),
            "cut at {cut}"
        );
        assert!(
            list(&kv, DEV, Viewer::Desarrollador, t0())
                .unwrap()
                .is_empty(),
            "cut at {cut}"
        );
        assert!(
            live_relation(&kv, PATRON, DEV, Servicio::Avisos, t0())
                .unwrap()
                .is_none(),
            "cut at {cut}"
        );
        // And the addition goes through once the store is back.
        add(
            &kv,
            &base.seal,
            &act,
            &req,
            password::typed(&g.contrasena),
            t0(),
        )
        .unwrap();
        assert_eq!(list(&kv, PATRON, Viewer::Patron, t0()).unwrap().len(), 1);
    }
}

/// A claim whose record is pending belongs to an addition still running (refused) until
/// the claim is old (taken over); a committed live record is a duplicate; a missing record
/// frees the claim. Decided from one read of the record.
#[test]
fn claims_on_pending_records() {
    let kv = MemoryKv::new();
    let ck = "relacion:vigente:P:D:avisos";
    let now = t0();
    let claim = |no_caso: &str, at: DateTime<Utc>| format!("{no_caso}|{}", at.timestamp());
    kv.set(&key("0500000001"), b"pendiente:{}").unwrap();
    kv.set(ck, claim("0500000001", now).as_bytes()).unwrap();
    let e = take_claim(&kv, ck, "0500000002", now, None).unwrap_err();
    assert_eq!(e.codigo(), "RELACION_DUPLICADA");
    assert!(e.mensaje().contains("en este momento"), "{}", e.mensaje());
    // The pending record is invisible to readers.
    assert_eq!(load(&kv, "0500000001").unwrap(), None);
    // Abandoned (older than the grace period): taken over.
    let later = now + chrono::Duration::seconds(PENDING_GRACE_SECONDS + 1);
    let ours = take_claim(&kv, ck, "0500000002", later, None).unwrap();
    assert_eq!(kv.get(ck).unwrap(), Some(ours));
    // A claim pointing to a missing record is free at once.
    kv.set(ck, claim("0500000009", now).as_bytes()).unwrap();
    take_claim(&kv, ck, "0500000003", now, None).unwrap();
}
