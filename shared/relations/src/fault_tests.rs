//! The acts of this crate, whole or absent: the store fails at each of their operations in turn
//! (`avisos_kv::faults::walk`: without effect or with its answer lost, for good or as a blip),
//! and what readers see — both sides' relation tables, access, the password's status, the
//! directory — is exactly as before the act or exactly as after it; a retry then ends exactly as
//! after. (End to end, on the host's stores: `tests/e2e/tests/fallas.rs`.)

use avisos_kv::faults::{Fault, Snapshot, walk};
use avisos_kv::{KeyValue, MemoryKv};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::directory::{self, CertStatus, Developer};
use crate::relation::{self, AddRequest, Viewer};
use crate::testutil::*;
use crate::{Servicio, password};

/// Folios (ten digits) as `#`: a retry allocates new ones.
fn normalize(v: Value) -> Value {
    let text = v.to_string();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 10 {
            out.push('#');
        } else {
            out.extend(&chars[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    serde_json::from_str(&out).unwrap()
}

fn observe(kv: &MemoryKv) -> Value {
    let now = t0();
    let rows = |rfc: &str, p: Viewer| {
        serde_json::to_value(relation::list(kv, rfc, p, now).unwrap()).unwrap()
    };
    let access = relation::authorizes(kv, PATRON, DEV, Servicio::Avisos, now)
        .unwrap()
        .map(|r| r.no_caso);
    // `usada` says a check of the password succeeded, which an addition interrupted after its
    // check did: a fact about the password, not part of the act.
    let mut contrasena = serde_json::to_value(password::status(kv, PATRON).unwrap()).unwrap();
    contrasena["usada"] = Value::Null;
    normalize(json!({
        "patron": rows(PATRON, Viewer::Patron),
        "desarrollador": rows(DEV, Viewer::Desarrollador),
        "acceso": access,
        "contrasena": contrasena,
        "directorio": directory::load(kv, DEV).unwrap(),
    }))
}

fn base() -> (MemoryKv, String) {
    let kv = MemoryKv::new();
    directory::set_status(
        &kv,
        Developer {
            rfc: DEV.into(),
            razon_social: name_of(DEV).into(),
            estatus: CertStatus::Autorizada,
            actualizado: t0() - Duration::days(1),
            folio: "0500000001".into(),
            registrado_por: ANALISTA.into(),
            generacion: 0,
            certificacion: None,
            anterior: None,
        },
    )
    .unwrap();
    let secret = password::generate(
        &kv,
        &seal(),
        &act(PATRON, "GENERAR_CONTRASENA", &[]),
        avisos_acts::testutil::password_key(),
        t0(),
        counter_random(3),
        [4; 16],
    )
    .unwrap()
    .contrasena;
    (kv, secret)
}

fn add(kv: &dyn KeyValue, secret: &str, now: DateTime<Utc>) {
    let inicio = crate::today(now).to_string();
    let act = act_with_terms(
        PATRON,
        "ADICIONAR_RELACION",
        Some(avisos_acts::terms::TermsId::RelacionesDeConfianza),
        &[
            ("servicio", "Avisos"),
            ("rfc_desarrollador", DEV),
            ("inicio_vigencia", &inicio),
            ("fin_vigencia", "2027-11-23"),
        ],
    );
    let req = AddRequest::parse(&act.spec, avisos_acts::Mode::Demo, crate::today(now)).unwrap();
    let _ = relation::add(kv, &seal(), &act, &req, password::typed(secret), now);
}

fn walk_all(
    base: &Snapshot,
    act: impl Fn(&dyn KeyValue) + Copy,
    retry: impl Fn(&dyn KeyValue) + Copy,
) -> usize {
    Fault::ALL
        .into_iter()
        .map(|fault| {
            let w = walk(base, fault, act, observe, retry);
            assert!(w.points > 2, "{fault:?}: only {} operations", w.points);
            w.points
        })
        .sum()
}

#[test]
fn a_relation_addition_is_whole_or_absent_at_every_step() {
    let (kv, secret) = base();
    // The retry comes later than the claim's grace for an addition still running.
    let later = t0() + Duration::seconds(150);
    let n = walk_all(
        &kv.snapshot(),
        |kv| add(kv, &secret, t0()),
        |kv| add(kv, &secret, later),
    );
    eprintln!("ADICIONAR_RELACION: {n} fault points");
}

#[test]
fn a_relation_cancellation_is_whole_or_absent_at_every_step() {
    let (kv, secret) = base();
    add(&kv, &secret, t0());
    let no_caso = relation::list(&kv, PATRON, Viewer::Patron, t0()).unwrap()[0]
        .no_caso
        .clone();
    let cancel = |kv: &dyn KeyValue| {
        let act = act(PATRON, "CANCELAR_RELACION", &[("no_caso", &no_caso)]);
        let _ = relation::cancel(kv, &seal(), &act, &no_caso, t0());
    };
    let n = walk_all(&kv.snapshot(), cancel, cancel);
    eprintln!("CANCELAR_RELACION: {n} fault points");
}

/// A generation, first and again: the retry of a client that looks at the status first (a
/// generation it never saw the answer of is named by the next one, `fallas.rs`).
#[test]
fn a_password_generation_is_whole_or_absent_at_every_step() {
    let mut points = 0;
    for existing in [false, true] {
        let kv = MemoryKv::new();
        let generate = |kv: &dyn KeyValue| {
            let _ = password::generate(
                kv,
                &seal(),
                &act(PATRON, "GENERAR_CONTRASENA", &[]),
                avisos_acts::testutil::password_key(),
                t0(),
                counter_random(9),
                [5; 16],
            );
        };
        if existing {
            generate(&kv);
        }
        let target = u32::from(existing) + 1;
        let retry = |kv: &dyn KeyValue| {
            if password::status(kv, PATRON).unwrap().generacion < target {
                generate(kv);
            }
        };
        points += walk_all(&kv.snapshot(), generate, retry);
    }
    eprintln!("GENERAR_CONTRASENA: {points} fault points");
}

#[test]
fn a_password_cancellation_is_whole_or_absent_at_every_step() {
    let (kv, _) = base();
    let cancel = |kv: &dyn KeyValue| {
        let _ = password::cancel(kv, &seal(), &act(PATRON, "CANCELAR_CONTRASENA", &[]), t0());
    };
    let n = walk_all(&kv.snapshot(), cancel, cancel);
    eprintln!("CANCELAR_CONTRASENA: {n} fault points");
}

/// An analyst's registration (a directory record and its search buckets): searches and access
/// follow the record, whatever step failed.
#[test]
fn a_developer_registration_is_whole_or_absent_at_every_step() {
    let kv = MemoryKv::new();
    let register = |estatus: CertStatus, name: &'static str| {
        move |kv: &dyn KeyValue| {
            let _ = directory::set_status(
                kv,
                Developer {
                    rfc: DEV.into(),
                    razon_social: name.into(),
                    estatus,
                    actualizado: t0(),
                    folio: "0500000002".into(),
                    registrado_por: ANALISTA.into(),
                    generacion: 0,
                    certificacion: None,
                    anterior: None,
                },
            );
        }
    };
    let observe_search = |kv: &MemoryKv| {
        let hits = |q: &str| {
            directory::search(kv, q)
                .unwrap()
                .resultados
                .into_iter()
                .map(|r| (r.rfc, r.razon_social))
                .collect::<Vec<_>>()
        };
        (
            directory::load(kv, DEV).unwrap(),
            directory::require_certified(kv, DEV).is_ok(),
            hits("nominas"),
            hits("zeta"),
            hits("nde"),
        )
    };
    let mut points = 0;
    let steps = [
        register(CertStatus::Autorizada, "NOMINAS DEMOSTRACION SA DE CV"),
        register(CertStatus::Autorizada, "ZETA SOFTWARE SA DE CV"),
        register(CertStatus::Cancelada, "ZETA SOFTWARE SA DE CV"),
    ];
    for step in steps {
        for fault in Fault::ALL {
            points += walk(&kv.snapshot(), fault, step, observe_search, step).points;
        }
        step(&kv);
    }
    eprintln!("REGISTRAR_DESARROLLADOR: {points} fault points");
}
