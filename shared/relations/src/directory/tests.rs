//! The directory's tests: search, generations, concurrency, the registration act.

use super::search::bucket_key;
use super::*;
use crate::testutil::*;
use avisos_acts::Mode;
use avisos_kv::{KeyValueJson, MemoryKv};

pub(crate) fn add(kv: &dyn KeyValue, rfc: &str, name: &str, estatus: CertStatus) {
    set_status(
        kv,
        Developer {
            rfc: rfc.into(),
            razon_social: name.into(),
            estatus,
            actualizado: t0(),
            folio: "0500000001".into(),
            registrado_por: ANALISTA.into(),
            generacion: 0,
            certificacion: None,
            anterior: None,
        },
    )
    .unwrap();
}

fn rfcs(r: &SearchResult) -> Vec<&str> {
    r.resultados.iter().map(|x| x.rfc.as_str()).collect()
}

#[test]
fn buckets_of_a_developer() {
    assert_eq!(
        buckets("SDN180301K23", "Sistemas de Nómina Demo, S.C."),
        ["DE", "NO", "SD", "SI"]
    );
}

#[test]
fn search_by_rfc_name_or_word_prefix_ignoring_case_and_accents() {
    let kv = MemoryKv::new();
    add(
        &kv,
        DEV,
        "NÓMINAS DEMOSTRACIÓN SA DE CV",
        CertStatus::Autorizada,
    );
    add(
        &kv,
        DEV_2,
        "SISTEMAS DE NOMINA DEMO SC",
        CertStatus::Autorizada,
    );
    add(
        &kv,
        "PME380607P35",
        "Peña Márquez Software",
        CertStatus::Autorizada,
    );
    let s = |q: &str| search(&kv, q).unwrap();
    assert_eq!(rfcs(&s("nde19")), [DEV]);
    assert_eq!(rfcs(&s("NDE190512XY6")), [DEV]);
    assert_eq!(rfcs(&s("nominas")), [DEV]);
    assert_eq!(rfcs(&s("Nóminas demostracion")), [DEV]);
    // Word prefix: both names have a word starting with NOMINA; sorted by name.
    assert_eq!(rfcs(&s("nomina")), [DEV, DEV_2]);
    assert_eq!(rfcs(&s("nomina demo")), [DEV_2]);
    assert_eq!(rfcs(&s("pena")), ["PME380607P35"]);
    assert_eq!(rfcs(&s("MARQUEZ")), ["PME380607P35"]);
    assert!(s("zz").resultados.is_empty());
    assert!(s("software x").resultados.is_empty());
    assert_eq!(
        s("nomina").resultados[0].estatus,
        "Certificación autorizada"
    );
    assert_eq!(search(&kv, "n").unwrap_err().codigo(), "BUSQUEDA_CORTA");
    assert_eq!(search(&kv, " ¿? ").unwrap_err().codigo(), "BUSQUEDA_CORTA");
}

#[test]
fn only_authorised_developers_appear_and_can_be_chosen() {
    let kv = MemoryKv::new();
    add(
        &kv,
        DEV,
        "NOMINAS DEMOSTRACION SA DE CV",
        CertStatus::Autorizada,
    );
    add(
        &kv,
        DEV_2,
        "SISTEMAS DE NOMINA DEMO SC",
        CertStatus::Cancelada,
    );
    assert_eq!(rfcs(&search(&kv, "nomina").unwrap()), [DEV]);
    assert!(require_certified(&kv, DEV).is_ok());
    assert_eq!(
        require_certified(&kv, DEV_2).unwrap_err().codigo(),
        "DESARROLLADOR_NO_CERTIFICADO"
    );
    assert_eq!(
        require_certified(&kv, "XYZ010101AB1").unwrap_err().codigo(),
        "DESARROLLADOR_NO_CERTIFICADO"
    );
    // Cancelling removes it from every bucket; authorising again brings it back.
    add(
        &kv,
        DEV,
        "NOMINAS DEMOSTRACION SA DE CV",
        CertStatus::Cancelada,
    );
    assert!(search(&kv, "nomina").unwrap().resultados.is_empty());
    assert!(search(&kv, "NDE").unwrap().resultados.is_empty());
    add(
        &kv,
        DEV,
        "NOMINAS DEMOSTRACION SA DE CV",
        CertStatus::Autorizada,
    );
    assert_eq!(rfcs(&search(&kv, "demostracion").unwrap()), [DEV]);
}

#[test]
fn a_new_authorisation_is_a_new_generation() {
    let kv = MemoryKv::new();
    let gen_of = |kv: &MemoryKv| load(kv, DEV).unwrap().unwrap().generacion;
    add(&kv, DEV, "NOMINAS", CertStatus::Autorizada);
    assert_eq!(gen_of(&kv), 1);
    // A rename or a repeated act keeps it; whatever the caller passes is ignored.
    let mut d = load(&kv, DEV).unwrap().unwrap();
    d.razon_social = "NOMINAS DOS".into();
    d.generacion = 7;
    assert_eq!(set_status(&kv, d).unwrap().generacion, 1);
    // A cancellation keeps it; authorised again: a new one.
    add(&kv, DEV, "NOMINAS DOS", CertStatus::Cancelada);
    assert_eq!(gen_of(&kv), 1);
    add(&kv, DEV, "NOMINAS DOS", CertStatus::Autorizada);
    assert_eq!(gen_of(&kv), 2);
    // Registered cancelled first: authorised later is its first authorisation.
    add(&kv, DEV_2, "SISTEMAS", CertStatus::Cancelada);
    assert_eq!(load(&kv, DEV_2).unwrap().unwrap().generacion, 0);
    add(&kv, DEV_2, "SISTEMAS", CertStatus::Autorizada);
    assert_eq!(load(&kv, DEV_2).unwrap().unwrap().generacion, 1);
    // A record from before generations reads as 0 and moves on from there.
    let legacy = r#"{"rfc":"PME380607P35","razon_social":"PENA","estatus":"Certificación autorizada","actualizado":"2026-01-01T00:00:00Z","folio":"0500000001","registrado_por":"AIGL850215QR5"}"#;
    kv.set("desarrollador:PME380607P35", legacy.as_bytes())
        .unwrap();
    assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 0);
    add(&kv, "PME380607P35", "PENA", CertStatus::Autorizada);
    assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 0);
    add(&kv, "PME380607P35", "PENA", CertStatus::Cancelada);
    add(&kv, "PME380607P35", "PENA", CertStatus::Autorizada);
    assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 1);
    // The legacy record's words still read; what is written now is the slug.
    let raw: serde_json::Value =
        serde_json::from_slice(&kv.get("desarrollador:PME380607P35").unwrap().unwrap()).unwrap();
    assert_eq!(raw["estatus"], "autorizada");
}

#[test]
fn renaming_moves_the_developer_between_buckets() {
    let kv = MemoryKv::new();
    add(
        &kv,
        DEV,
        "NOMINAS DEMOSTRACION SA DE CV",
        CertStatus::Autorizada,
    );
    add(&kv, DEV, "ZETA SOFTWARE SA DE CV", CertStatus::Autorizada);
    assert!(search(&kv, "nominas").unwrap().resultados.is_empty());
    let r = search(&kv, "zeta").unwrap();
    assert_eq!(r.resultados[0].razon_social, "ZETA SOFTWARE SA DE CV");
    // Still once in its RFC bucket.
    assert_eq!(search(&kv, "nde").unwrap().resultados.len(), 1);
}

#[test]
fn results_are_capped() {
    let kv = MemoryKv::new();
    for i in 0..25 {
        add(
            &kv,
            &format!("AAA0101{:02}AA{}", i % 28 + 1, i % 10),
            &format!("NOMINAS {i:02}"),
            CertStatus::Autorizada,
        );
    }
    let r = search(&kv, "nominas").unwrap();
    assert_eq!(r.resultados.len(), MAX_RESULTS);
    assert!(r.hay_mas);
    assert_eq!(r.resultados[0].razon_social, "NOMINAS 00");
}

#[test]
fn concurrent_registrations_all_land_in_the_shared_bucket() {
    let kv = std::sync::Arc::new(MemoryKv::new());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let kv = kv.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    add(
                        &*kv,
                        &format!("BBB0101{:02}A{t}{}", i + 1, i),
                        &format!("NOMINAS HILO {t} NUM {i}"),
                        CertStatus::Autorizada,
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let bucket: Vec<Entry> = kv.get_json(&bucket_key("NO")).unwrap().unwrap();
    assert_eq!(bucket.len(), 80);
}

#[test]
fn registration_act_validates_and_issues_an_acuse() {
    let kv = MemoryKv::new();
    let bad = |rfc: &str, name: &str, st: &str| {
        Registration::parse(rfc, name, st, Mode::Demo)
            .unwrap_err()
            .codigo()
    };
    assert_eq!(
        bad("NDE190512XY7", "X", "autorizada"),
        "RFC_DIGITO_VERIFICADOR"
    );
    assert_eq!(bad(DEV, "  ", "autorizada"), "RAZON_SOCIAL_INVALIDA");
    assert_eq!(bad(DEV, "X", "vigente"), "ESTATUS_INVALIDO");
    let reg = Registration::parse(
        " nde190512xy6 ",
        " NOMINAS  DEMOSTRACION SA DE CV ",
        "Autorizada",
        Mode::Demo,
    )
    .unwrap();
    assert_eq!(reg.rfc, DEV);
    assert_eq!(reg.razon_social, "NOMINAS DEMOSTRACION SA DE CV");
    let act = act(
        ANALISTA,
        "REGISTRAR_DESARROLLADOR",
        &[
            ("rfc_desarrollador", DEV),
            ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
            ("estatus", "autorizada"),
        ],
    );
    let done = register(&kv, &seal(), &act, &reg, t0()).unwrap();
    let d = load(&kv, DEV).unwrap().unwrap();
    assert_eq!(d.folio, done.folio);
    assert_eq!(d.registrado_por, ANALISTA);
    assert!(acuse_json(&kv, &done.folio).contains("Registro de Desarrollador Certificado"));
    assert_eq!(rfcs(&search(&kv, "nominas").unwrap()), [DEV]);
}
