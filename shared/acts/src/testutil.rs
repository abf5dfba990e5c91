//! Helpers for the unit tests of the domain crates (relations, certification, avisos): verified
//! acts without a real signature (the signature pipeline is tested here and end to end), a test
//! seal, a fixed clock. Public behind the `testutil` feature, only ever a dev-dependency feature.

use crate::act::{ActSpec, VerifiedAct};
use crate::seal::ServiceSeal;
use crate::session::{Role, Session};
use crate::terms::{self, TermsId};
use avisos_kv::KeyValue;
use chrono::{DateTime, Duration, Utc};
use efirma::{Persona, VerifiedIdentity};

pub const PATRON: &str = "EDE200101AB0";
pub const PATRON_2: &str = "DELP900303MN5";
pub const DEV: &str = "NDE190512XY6";
pub const DEV_2: &str = "SDN180301K23";
pub const ANALISTA: &str = "AIGL850215QR5";

/// 2026-11-23 12:00 in Mexico City.
pub fn t0() -> DateTime<Utc> {
    "2026-11-23T18:00:00Z".parse().unwrap()
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn seal() -> ServiceSeal {
    static PEM: &str = include_str!("../testdata/sello-pruebas.pem");
    ServiceSeal::from_pem(PEM).unwrap()
}

/// The test key of the service passwords (`clave_contrasena`).
pub fn password_key() -> &'static crate::secret::HmacKey {
    static KEY: std::sync::OnceLock<crate::secret::HmacKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| crate::secret::HmacKey::new(*b"clave-de-contrasena-de-pruebas-0123456789"))
}

pub fn name_of(rfc: &str) -> &'static str {
    match rfc {
        PATRON => "EMPRESA DEMOSTRACION SA DE CV",
        PATRON_2 => "LAURA DELGADO PEREZ",
        DEV => "NOMINAS DEMOSTRACION SA DE CV",
        DEV_2 => "SISTEMAS DE NOMINA DEMO SC",
        ANALISTA => "LUIS AGUIRRE GIL",
        _ => "OTRA PERSONA",
    }
}

pub fn session(rfc: &str, rol: Role) -> Session {
    Session {
        rfc: rfc.into(),
        rol,
        nombre: name_of(rfc).into(),
        emitida: t0(),
        expira: t0() + Duration::minutes(20),
        sid: "sid".into(),
    }
}

/// A verified act as `verify_signed_act` would return it.
pub fn act(rfc: &str, accion: &'static str, fields: &[(&'static str, &str)]) -> VerifiedAct {
    act_with_terms(rfc, accion, None, fields)
}

pub fn act_with_terms(
    rfc: &str,
    accion: &'static str,
    terms_id: Option<TermsId>,
    fields: &[(&'static str, &str)],
) -> VerifiedAct {
    let spec = ActSpec {
        accion,
        terms: terms_id,
        fields: fields.iter().map(|(n, v)| (*n, v.to_string())).collect(),
    };
    let terms = terms_id.map(terms::current);
    let cadena = spec.cadena(
        rfc,
        "2026-11-23T12:00:00-06:00",
        "nonce",
        terms.as_ref().map_or("", |t| t.sha256.as_str()),
    );
    VerifiedAct {
        identity: VerifiedIdentity {
            rfc: rfc.into(),
            representative_rfc: None,
            curp: None,
            representative_curp: None,
            name: name_of(rfc).into(),
            certificate_number: "00001000000700000001".into(),
            persona: Persona::Moral,
            not_before: t0() - Duration::days(365),
            not_after: t0() + Duration::days(365),
            issuer_name: "AC DEMO".into(),
            issuer_fingerprint_sha256: [0; 32],
            certificate_fingerprint_sha256: [1; 32],
        },
        spec,
        cadena,
        firma_b64: "ZmlybWE=".into(),
        fecha: t0(),
        terms,
    }
}

/// Deterministic "randomness" for tests.
pub fn counter_random(seed: u8) -> impl FnMut() -> [u8; 32] {
    let mut n = seed;
    move || {
        let mut out = [0u8; 32];
        for b in out.iter_mut() {
            n = n.wrapping_mul(31).wrapping_add(7);
            *b = n;
        }
        out
    }
}

pub fn acuse_json(kv: &dyn KeyValue, folio: &str) -> String {
    String::from_utf8(kv.get(&format!("acuse:{folio}")).unwrap().expect("acuse")).unwrap()
}

/// A valid company RFC from its first 11 characters (check digit computed).
pub fn rfc(base: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    let digit = efirma::rfc::check_digit(&chars).expect("11 valid characters");
    format!("{base}{digit}")
}
