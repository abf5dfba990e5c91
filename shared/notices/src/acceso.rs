//! The gate of a consultation: may this developer read this employer's avisos now?
//!
//! Checked in this order, each refusal with its own code (README «Avisos» lists them):
//! 1. the developer's certification: authorised (`DESARROLLADOR_NO_CERTIFICADO`,
//!    `CERTIFICACION_CANCELADA`);
//! 2. the relation for the Avisos service is *Relación Vigente* today (America/Mexico_City, the
//!    injected clock) and was granted under the developer's current certification (a developer
//!    that cancelled and was certified again needs new relations): otherwise the newest
//!    relation between the two says why (`RELACION_INEXISTENTE`, `RELACION_CANCELADA`,
//!    `RELACION_NO_VIGENTE`, whose message says whether the vigencia ended or the certification
//!    it was granted under was cancelled);
//! 3. the throttle of wrong passwords per (developer, employer) ([`throttle`]): `INTENTOS_EXCEDIDOS`
//!    (or `VERIFICACIONES_SIMULTANEAS` when too many checks of the pair are in flight);
//! 4. the employer's **current** service password. The relations issue decided that
//!    regenerating the password does not cancel relations and every later check uses the
//!    current one; we keep that rule. A wrong password is `CONTRASENA_INCORRECTA`, or
//!    `CONTRASENA_REGENERADA` when the employer regenerated it after the relation was made (the
//!    payroll system most likely still holds the old one); none generated or cancelled:
//!    `CONTRASENA_NO_GENERADA`, `CONTRASENA_CANCELADA`.
//!
//! Relations and certification are checked before the password so that their refusals cost no
//! password check and cannot be used to test passwords. A password hashed with the HMAC
//! (`avisos_relations::password`) is checked first, in microseconds and with nothing written: a
//! right one passes without touching the throttle (it cannot be a guess: guesses never match,
//! the secret has ~116 bits), a wrong one then reserves a check and is counted, so its answer is
//! given only within the throttle's bound. A password still hashed with Argon2id (generated
//! before the HMAC) reserves a check before its ~50 ms hash, and is re-hashed with the HMAC once
//! it proves right, so a payroll system pays the slow hash once per such password.

use avisos_acts::secret::HmacKey;
use avisos_kv::KeyValue;
use avisos_relations::directory::{self, CertStatus};
use avisos_relations::password::{self, PasswordHash, PasswordRecord, PasswordState};
use avisos_relations::relation::{self, MOTIVO_CERTIFICACION_CANCELADA, Viewer};
use avisos_relations::{Relation, Servicio};
use chrono::{DateTime, Utc};

use crate::AvisosError;
use crate::throttle;

/// Step 1: the developer's certification.
pub fn check_certification(kv: &dyn KeyValue, desarrollador: &str) -> Result<(), AvisosError> {
    match directory::load(kv, desarrollador)? {
        Some(d) if d.estatus == CertStatus::Autorizada => Ok(()),
        Some(_) => Err(AvisosError::CertificationCancelled {
            desarrollador: desarrollador.to_uppercase(),
        }),
        None => Err(AvisosError::DeveloperNotCertified {
            desarrollador: desarrollador.to_uppercase(),
        }),
    }
}

/// Step 2: the live relation, or why there is none.
pub fn check_relation(
    kv: &dyn KeyValue,
    patron: &str,
    desarrollador: &str,
    now: DateTime<Utc>,
) -> Result<Relation, AvisosError> {
    if let Some(r) = relation::live_relation(kv, patron, desarrollador, Servicio::Avisos, now)? {
        return Ok(r);
    }
    // Refusal path only: the employer's table, newest first, says what became of the relation.
    let rows = relation::list(kv, patron, Viewer::Patron, now)?;
    let newest = rows.iter().find(|r| {
        r.rfc.eq_ignore_ascii_case(desarrollador) && r.servicio == Servicio::Avisos.nombre()
    });
    Err(match newest {
        None => AvisosError::RelationMissing {
            patron: patron.to_uppercase(),
            desarrollador: desarrollador.to_uppercase(),
        },
        Some(r) if r.fecha_cancelacion_anticipada.is_some() => AvisosError::RelationCancelled {
            fecha: r.texto.fecha_cancelacion_anticipada.clone(),
            no_caso: r.no_caso.clone(),
        },
        Some(r)
            if r.motivo
                .as_ref()
                .is_some_and(|m| m.codigo == MOTIVO_CERTIFICACION_CANCELADA) =>
        {
            AvisosError::RelationOfCancelledCertification {
                no_caso: r.no_caso.clone(),
            }
        }
        Some(r) => AvisosError::RelationExpired {
            no_caso: r.no_caso.clone(),
            fin_vigencia: r.texto.fin_vigencia.clone(),
        },
    })
}

/// The employer's current password hash and its generation, or why there is none.
fn current_password(kv: &dyn KeyValue, patron: &str) -> Result<(u32, PasswordHash), AvisosError> {
    match password::load(kv, patron)? {
        None => Err(AvisosError::PasswordNotGenerated),
        Some(PasswordRecord {
            estado: PasswordState::Activa,
            hash: Some(h),
            generacion,
            ..
        }) => Ok((generacion, h)),
        Some(_) => Err(AvisosError::PasswordCancelled),
    }
}

/// Steps 3 and 4: the throttle and the password (see the module documentation): at most
/// [`throttle::MAX_FAILURES`] + [`throttle::MAX_IN_FLIGHT`] wrong passwords per window are
/// ever answered.
pub fn check_password(
    kv: &dyn KeyValue,
    relation: &Relation,
    desarrollador: &str,
    typed: &str,
    key: &HmacKey,
    now: DateTime<Utc>,
) -> Result<(), AvisosError> {
    let patron = &relation.patron_rfc;
    throttle::check(kv, desarrollador, patron, now)?;
    let (generacion, stored) = current_password(kv, patron)?;
    if stored.algoritmo == password::HMAC_SHA256 {
        if password::verify_hash(&stored, typed, key)? {
            password::mark_used_once(kv, patron, generacion);
            return Ok(());
        }
        throttle::reserve(kv, desarrollador, patron, now)?.fail(kv);
    } else if slow_check(
        kv,
        desarrollador,
        patron,
        generacion,
        &stored,
        typed,
        key,
        now,
    )? {
        return Ok(());
    }
    if generacion > relation.generacion_contrasena {
        Err(AvisosError::PasswordRegenerated)
    } else {
        Err(AvisosError::PasswordIncorrect)
    }
}

/// A password still hashed with Argon2id: a reserved check, then the slow hash; a right one is
/// re-hashed with the HMAC. `Ok(false)`: wrong (already counted).
#[allow(clippy::too_many_arguments)]
fn slow_check(
    kv: &dyn KeyValue,
    desarrollador: &str,
    patron: &str,
    generacion: u32,
    stored: &PasswordHash,
    typed: &str,
    key: &HmacKey,
    now: DateTime<Utc>,
) -> Result<bool, AvisosError> {
    let attempt = throttle::reserve(kv, desarrollador, patron, now)?;
    let ok = match password::verify_hash(stored, typed, key) {
        Ok(ok) => ok,
        Err(e) => {
            attempt.release(kv);
            return Err(e.into());
        }
    };
    if !ok {
        attempt.fail(kv);
        return Ok(false);
    }
    attempt.release(kv);
    password::mark_used(kv, patron, generacion);
    password::upgrade(kv, patron, generacion, typed, key);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::{KeyValueJson, MemoryKv};
    use avisos_relations::directory::Developer;
    use avisos_relations::password::HashParams;
    use avisos_relations::relation::Cancellation;
    use chrono::NaiveDate;

    const PATRON: &str = "EDE200101AB0";
    const DEV: &str = "NDE190512XY6";
    /// Cheap parameters: the hash's cost is not what these tests are about.
    const FAST: HashParams = HashParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn now() -> DateTime<Utc> {
        "2026-11-23T18:00:00Z".parse().unwrap()
    }

    fn certify(kv: &dyn KeyValue, estatus: CertStatus) {
        directory::set_status(
            kv,
            Developer {
                rfc: DEV.into(),
                razon_social: "NOMINAS DEMOSTRACION SA DE CV".into(),
                estatus,
                actualizado: now(),
                folio: "0500000001".into(),
                registrado_por: "AIGL850215QR5".into(),
                generacion: 0,
                certificacion: None,
                anterior: None,
            },
        )
        .unwrap();
    }

    fn key() -> &'static HmacKey {
        avisos_acts::testutil::password_key()
    }

    /// The employer's password record as `shared/relations` stores it (`contrasena:<RFC>`).
    fn set_password(kv: &dyn KeyValue, secret: &str, generacion: u32, activa: bool) {
        let hash = password::hash(secret, [generacion as u8; 16], key()).unwrap();
        store_password(kv, generacion, activa.then_some(hash));
    }

    fn store_password(kv: &dyn KeyValue, generacion: u32, hash: Option<PasswordHash>) {
        let activa = hash.is_some();
        let record = PasswordRecord {
            rfc: PATRON.into(),
            estado: if activa {
                PasswordState::Activa
            } else {
                PasswordState::Cancelada
            },
            generacion,
            hash,
            generada: now(),
            folio: "0500000002".into(),
            cancelada: None,
            folio_cancelacion: None,
        };
        kv.set_json(&format!("contrasena:{PATRON}"), &record)
            .unwrap();
    }

    fn relation(fin: NaiveDate, cancelled: bool) -> Relation {
        Relation {
            no_caso: String::new(),
            patron_rfc: PATRON.into(),
            patron_nombre: "EMPRESA DEMOSTRACION SA DE CV".into(),
            desarrollador_rfc: DEV.into(),
            desarrollador_nombre: "NOMINAS DEMOSTRACION SA DE CV".into(),
            servicio: Servicio::Avisos,
            inicio_vigencia: "2026-11-01".parse().unwrap(),
            fin_vigencia: fin,
            registrada: now(),
            generacion_contrasena: 1,
            // `certify` authorises the developer for the first time: generation 1.
            generacion_certificacion: Some(1),
            cancelacion: cancelled.then(|| Cancellation {
                fecha: "2026-11-20".parse().unwrap(),
                instante: now(),
                folio: "0500000009".into(),
            }),
        }
    }

    fn code<T: std::fmt::Debug>(r: Result<T, AvisosError>) -> String {
        r.unwrap_err().codigo().to_string()
    }

    #[test]
    fn certification_and_relation_refusals() {
        let kv = MemoryKv::new();
        assert_eq!(
            code(check_certification(&kv, DEV)),
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        certify(&kv, CertStatus::Autorizada);
        check_certification(&kv, DEV).unwrap();
        assert_eq!(
            code(check_relation(&kv, PATRON, DEV, now())),
            "RELACION_INEXISTENTE"
        );
        relation::import(
            &kv,
            vec![relation("2026-11-22".parse().unwrap(), false)],
            now(),
        )
        .unwrap();
        assert_eq!(
            code(check_relation(&kv, PATRON, DEV, now())),
            "RELACION_NO_VIGENTE"
        );
        relation::import(
            &kv,
            vec![relation("2026-12-31".parse().unwrap(), true)],
            now(),
        )
        .unwrap();
        assert_eq!(
            code(check_relation(&kv, PATRON, DEV, now())),
            "RELACION_CANCELADA"
        );
        relation::import(
            &kv,
            vec![relation("2026-12-31".parse().unwrap(), false)],
            now(),
        )
        .unwrap();
        let live = check_relation(&kv, PATRON, DEV, now()).unwrap();
        assert_eq!(
            live.fin_vigencia,
            "2026-12-31".parse::<NaiveDate>().unwrap()
        );
        certify(&kv, CertStatus::Cancelada);
        assert_eq!(
            code(check_certification(&kv, DEV)),
            "CERTIFICACION_CANCELADA"
        );
        // Certified again: the relation of the cancelled certification grants nothing, and the
        // refusal says why and what to do.
        certify(&kv, CertStatus::Autorizada);
        check_certification(&kv, DEV).unwrap();
        let refused = check_relation(&kv, PATRON, DEV, now()).unwrap_err();
        assert_eq!(refused.codigo(), "RELACION_NO_VIGENTE");
        let mensaje = refused.mensaje();
        assert!(
            mensaje.contains("certificación del desarrollador que después fue cancelada")
                && mensaje.contains("debe registrar una nueva relación"),
            "{mensaje}"
        );
        // A relation granted under the new certification works.
        let mut renewed = relation("2026-12-31".parse().unwrap(), false);
        renewed.generacion_certificacion = Some(2);
        relation::import(&kv, vec![renewed], now()).unwrap();
        check_relation(&kv, PATRON, DEV, now()).unwrap();
    }

    #[test]
    fn the_current_password_decides() {
        let kv = MemoryKv::new();
        let r = relation("2026-12-31".parse().unwrap(), false);
        assert_eq!(
            code(check_password(&kv, &r, DEV, "x", key(), now())),
            "CONTRASENA_NO_GENERADA"
        );
        set_password(&kv, "primera", 1, true);
        check_password(&kv, &r, DEV, "primera", key(), now()).unwrap();
        // A right password touches no throttle counter; its use is written once.
        let written = kv.len();
        check_password(&kv, &r, DEV, "primera", key(), now()).unwrap();
        assert_eq!(kv.len(), written);
        assert!(password::status(&kv, PATRON).unwrap().usada);
        assert_eq!(
            code(check_password(&kv, &r, DEV, "otra", key(), now())),
            "CONTRASENA_INCORRECTA"
        );
        // Regenerated after the relation: the old one fails with its own code, the new works.
        set_password(&kv, "segunda", 2, true);
        assert_eq!(
            code(check_password(&kv, &r, DEV, "primera", key(), now())),
            "CONTRASENA_REGENERADA"
        );
        check_password(&kv, &r, DEV, "segunda", key(), now()).unwrap();
        set_password(&kv, "", 2, false);
        assert_eq!(
            code(check_password(&kv, &r, DEV, "segunda", key(), now())),
            "CONTRASENA_CANCELADA"
        );
        // Two failures so far; three more lock the pair, even for the right password.
        set_password(&kv, "tercera", 3, true);
        for _ in 0..3 {
            assert_eq!(
                code(check_password(&kv, &r, DEV, "mal", key(), now())),
                "CONTRASENA_REGENERADA"
            );
        }
        let locked = check_password(&kv, &r, DEV, "tercera", key(), now()).unwrap_err();
        assert_eq!(locked.codigo(), "INTENTOS_EXCEDIDOS");
        assert!(locked.retry_after().is_some());
    }

    #[test]
    fn an_argon2id_password_is_checked_within_the_throttle_then_rehashed() {
        let kv = MemoryKv::new();
        let r = relation("2026-12-31".parse().unwrap(), false);
        let old = password::hash_argon2id("antigua", [1; 16], FAST).unwrap();
        store_password(&kv, 1, Some(old));
        // Wrong: counted like any wrong password.
        assert_eq!(
            code(check_password(&kv, &r, DEV, "otra", key(), now())),
            "CONTRASENA_INCORRECTA"
        );
        let stored = || password::load(&kv, PATRON).unwrap().unwrap().hash.unwrap();
        assert_eq!(stored().algoritmo, password::ARGON2ID);
        // Right: accepted, and the stored hash is now the HMAC, which keeps accepting it.
        check_password(&kv, &r, DEV, "antigua", key(), now()).unwrap();
        assert_eq!(stored().algoritmo, password::HMAC_SHA256);
        check_password(&kv, &r, DEV, "antigua", key(), now()).unwrap();
        // Under another key nothing matches: the key is part of the hash.
        let other = HmacKey::new(*b"otra-clave-de-contrasena-0123456789abcdef");
        assert_eq!(
            code(check_password(&kv, &r, DEV, "antigua", &other, now())),
            "CONTRASENA_INCORRECTA"
        );
    }
}
