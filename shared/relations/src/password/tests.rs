use super::*;
use crate::testutil::*;
use avisos_kv::MemoryKv;
use base64::Engine;

/// Cheap Argon2id parameters for the tests of old hashes (the real ones are tested once).
const FAST: HashParams = HashParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn k() -> HmacKey {
    HmacKey::new(*b"clave-de-contrasena-de-pruebas-0123456789")
}

#[test]
fn secret_shape_and_alphabet() {
    let mut n = 0u8;
    let s = generate_secret(|| {
        n = n.wrapping_add(1);
        [n.wrapping_mul(37); 32]
    });
    assert_eq!(s.len(), LENGTH + 3);
    let groups: Vec<&str> = s.split('-').collect();
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g.len() == 5));
    assert!(normalize_input(&s).bytes().all(|b| ALPHABET.contains(&b)));
    for c in ['0', 'O', 'o', '1', 'I', 'l'] {
        assert!(!ALPHABET.contains(&(c as u8)));
    }
    assert_eq!(ALPHABET.len(), 56);
}

#[test]
fn rejection_sampling_skips_biased_bytes() {
    // Only bytes ≥ 224 at first: they are all rejected, then a usable batch arrives.
    let mut calls = 0;
    let s = generate_secret(|| {
        calls += 1;
        if calls < 3 { [255; 32] } else { [0; 32] }
    });
    assert_eq!(s, "AAAAA-AAAAA-AAAAA-AAAAA");
    assert_eq!(calls, 3);
}

#[test]
fn hash_verifies_only_the_right_password() {
    let h = hash("Abcde23456", [7; 16], &k()).unwrap();
    assert_eq!((h.algoritmo.as_str(), h.parametros), (HMAC_SHA256, None));
    assert!(
        verify_hash(&h, "Abcde-23456", &k()).unwrap(),
        "dashes ignored"
    );
    assert!(
        verify_hash(&h, " Abcde 23456 ", &k()).unwrap(),
        "spaces ignored"
    );
    assert!(
        !verify_hash(&h, "abcde23456", &k()).unwrap(),
        "case matters"
    );
    assert!(!verify_hash(&h, "", &k()).unwrap());
    assert!(!verify_hash(&h, &"x".repeat(1000), &k()).unwrap());
    // Same password, another salt: another hash.
    let h2 = hash("Abcde23456", [8; 16], &k()).unwrap();
    assert_ne!(h.hash, h2.hash);
    assert!(!h.hash.contains("Abcde"));
}

#[test]
fn without_the_key_a_stored_hash_confirms_nothing() {
    let h = hash("Abcde23456", [7; 16], &k()).unwrap();
    let other = HmacKey::new(*b"otra-clave-de-contrasena-0123456789abcdef");
    assert!(!verify_hash(&h, "Abcde23456", &other).unwrap());
    assert_ne!(hash("Abcde23456", [7; 16], &other).unwrap().hash, h.hash);
    // Nor does a plain SHA-256 of salt and password reproduce it.
    let b64 = base64::engine::general_purpose::STANDARD;
    let plain = Sha256::digest([[7u8; 16].as_slice(), b"Abcde23456"].concat());
    assert_ne!(b64.encode(plain), h.hash);
}

#[test]
fn a_stored_hash_of_unknown_shape_is_an_internal_error() {
    let mut h = hash("Abcde23456", [7; 16], &k()).unwrap();
    h.algoritmo = "md5".into();
    assert_eq!(
        verify_hash(&h, "Abcde23456", &k()).unwrap_err().codigo(),
        "ERROR_INTERNO"
    );
    let mut h = hash_argon2id("Abcde23456", [7; 16], FAST).unwrap();
    h.parametros = None;
    assert!(verify_hash(&h, "Abcde23456", &k()).is_err());
}

#[test]
fn old_argon2id_hashes_keep_working_with_the_real_parameters() {
    let h = hash_argon2id("Abcde23456", [1; 16], ARGON2_PARAMS).unwrap();
    assert_eq!(h.algoritmo, ARGON2ID);
    assert_eq!(h.parametros.map(|p| p.m_kib), Some(19456));
    assert!(verify_hash(&h, "Abcde-23456", &k()).unwrap());
    assert!(!verify_hash(&h, "Abcde-23457", &k()).unwrap());
}

/// A record as the Argon2id version stored it (no `clave_contrasena` then).
fn store_argon2id_record(kv: &MemoryKv, password: &str, generacion: u32) {
    let record = PasswordRecord {
        rfc: PATRON.into(),
        estado: PasswordState::Activa,
        generacion,
        hash: Some(hash_argon2id(&normalize_input(password), [5; 16], FAST).unwrap()),
        generada: t0(),
        folio: "0000000001".into(),
        cancelada: None,
        folio_cancelacion: None,
    };
    kv.set_json(&key_of(PATRON), &record).unwrap();
}

#[test]
fn an_old_hash_is_replaced_by_the_hmac_at_its_first_successful_check() {
    let kv = MemoryKv::new();
    store_argon2id_record(&kv, "Abcde-23456", 3);
    // A wrong password changes nothing.
    assert_eq!(
        check(&kv, PATRON, "Abcde-99999", &k())
            .unwrap_err()
            .codigo(),
        "CONTRASENA_INCORRECTA"
    );
    assert_eq!(
        load(&kv, PATRON).unwrap().unwrap().hash.unwrap().algoritmo,
        ARGON2ID
    );
    // The right one works and leaves the HMAC behind; the record is otherwise the same.
    assert_eq!(check(&kv, PATRON, "Abcde-23456", &k()).unwrap(), 3);
    let after = load(&kv, PATRON).unwrap().unwrap();
    let h = after.hash.clone().unwrap();
    assert_eq!((h.algoritmo.as_str(), h.parametros), (HMAC_SHA256, None));
    assert_eq!((after.generacion, after.folio.as_str()), (3, "0000000001"));
    assert!(status(&kv, PATRON).unwrap().usada);
    // And it keeps working, under the key only.
    assert_eq!(check(&kv, PATRON, "Abcde23456", &k()).unwrap(), 3);
    let other = HmacKey::new(*b"otra-clave-de-contrasena-0123456789abcdef");
    assert!(check(&kv, PATRON, "Abcde23456", &other).is_err());
}

#[test]
fn an_upgrade_never_overwrites_a_newer_generation() {
    let kv = MemoryKv::new();
    store_argon2id_record(&kv, "Abcde-23456", 3);
    let before = kv.get(&key_of(PATRON)).unwrap();
    // The check was of generation 2, which was replaced meanwhile: nothing is written.
    upgrade(&kv, PATRON, 2, "Abcde-23456", &k());
    assert_eq!(kv.get(&key_of(PATRON)).unwrap(), before);
    // A store that fails during the upgrade leaves the old hash, and the check stands.
    kv.set_failing(true);
    upgrade(&kv, PATRON, 3, "Abcde-23456", &k());
    kv.set_failing(false);
    assert_eq!(kv.get(&key_of(PATRON)).unwrap(), before);
}

#[test]
fn generate_regenerate_cancel() {
    let kv = MemoryKv::new();
    let seal = seal();
    let act = act(PATRON, "GENERAR_CONTRASENA", &[]);
    assert_eq!(status(&kv, PATRON).unwrap().estado, "sin_generar");
    assert_eq!(
        check(&kv, PATRON, "x", &k()).unwrap_err().codigo(),
        "CONTRASENA_NO_GENERADA"
    );

    let first = generate(&kv, &seal, &act, &k(), t0(), counter_random(1), [1; 16]).unwrap();
    assert_eq!(first.generacion, 1);
    assert_eq!(check(&kv, PATRON, &first.contrasena, &k()).unwrap(), 1);
    assert_eq!(
        check(&kv, PATRON, "AAAAA-AAAAA-AAAAA-AAAAA", &k())
            .unwrap_err()
            .codigo(),
        "CONTRASENA_INCORRECTA"
    );
    // Nothing stored contains the password.
    let stored = String::from_utf8(kv.get(&key_of(PATRON)).unwrap().unwrap()).unwrap();
    assert!(!stored.contains(&normalize_input(&first.contrasena)));
    let acuse = acuse_json(&kv, &first.registro.folio);
    assert!(!acuse.contains(&normalize_input(&first.contrasena)));
    assert!(acuse.contains("Generación de Contraseña"));

    // Regenerating: the old one stops working.
    let second = generate(&kv, &seal, &act, &k(), t0(), counter_random(9), [2; 16]).unwrap();
    assert_eq!(second.generacion, 2);
    assert_ne!(first.contrasena, second.contrasena);
    assert_eq!(
        check(&kv, PATRON, &first.contrasena, &k())
            .unwrap_err()
            .codigo(),
        "CONTRASENA_INCORRECTA"
    );
    assert_eq!(check(&kv, PATRON, &second.contrasena, &k()).unwrap(), 2);
    let st = status(&kv, PATRON).unwrap();
    assert_eq!((st.estado, st.generacion), ("activa", 2));

    // Cancelling: none works; cancelling again is refused; generating again works.
    let c = cancel(&kv, &seal, &act, t0()).unwrap();
    assert_eq!(c.folio.len(), 10);
    assert_eq!(
        check(&kv, PATRON, &second.contrasena, &k())
            .unwrap_err()
            .codigo(),
        "CONTRASENA_NO_GENERADA"
    );
    assert_eq!(
        cancel(&kv, &seal, &act, t0()).unwrap_err().codigo(),
        "CONTRASENA_NO_GENERADA"
    );
    let st = status(&kv, PATRON).unwrap();
    assert_eq!(st.estado, "cancelada");
    assert_eq!(st.folio_cancelacion.as_deref(), Some(c.folio.as_str()));
    let third = generate(&kv, &seal, &act, &k(), t0(), counter_random(5), [3; 16]).unwrap();
    assert_eq!(third.generacion, 3);
    assert_eq!(check(&kv, PATRON, &third.contrasena, &k()).unwrap(), 3);
}

#[test]
fn store_failure_changes_nothing() {
    let kv = MemoryKv::new();
    let act = act(PATRON, "GENERAR_CONTRASENA", &[]);
    kv.set_failing(true);
    let e = generate(&kv, &seal(), &act, &k(), t0(), counter_random(1), [1; 16]).unwrap_err();
    assert_eq!(e.codigo(), "ALMACEN_NO_DISPONIBLE");
    kv.set_failing(false);
    assert!(kv.is_empty());
}
