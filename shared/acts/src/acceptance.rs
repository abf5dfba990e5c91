//! «Aceptación de Términos y Condiciones» ("He leído y acepto las condiciones de este servicio" +
//! Continuar): the signed act `ACEPTACION_TERMINOS`, with its acuse, and the record of which
//! version each RFC accepted last (`terminos:aceptacion:<RFC>:<slug>`).

use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acuse::{self, AcuseRecord, Dato};
use crate::seal::ServiceSeal;
use crate::terms::{self, TermsId};
use crate::{ActError, VerifiedAct};

/// The last acceptance of a text by an RFC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The acuse of the acceptance.
    pub folio: String,
    pub version: String,
    /// SHA-256 of the text accepted.
    pub sha256: String,
    pub fecha: DateTime<Utc>,
}

/// Whether an RFC accepted the current version of a text (schema `AceptacionTerminos`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptanceStatus {
    pub terminos: &'static str,
    pub version_vigente: &'static str,
    pub sha256_vigente: String,
    pub aceptados: bool,
    pub ultima_aceptacion: Option<Acceptance>,
}

fn key(rfc: &str, id: TermsId) -> String {
    format!("terminos:aceptacion:{rfc}:{}", id.slug())
}

/// Whether `rfc` accepted the current version of `id`, and its last acceptance.
pub fn status(kv: &dyn KeyValue, rfc: &str, id: TermsId) -> Result<AcceptanceStatus, ActError> {
    let current = terms::current(id);
    let accepted: Option<Acceptance> = kv.get_json(&key(rfc, id))?;
    Ok(AcceptanceStatus {
        terminos: id.slug(),
        version_vigente: current.version,
        aceptados: accepted
            .as_ref()
            .is_some_and(|a| a.sha256 == current.sha256),
        sha256_vigente: current.sha256,
        ultima_aceptacion: accepted,
    })
}

/// `ACEPTACION_TERMINOS` of the current version of `id` (the act was verified against it): its
/// acuse, then the signer's acceptance record (the acuse is the evidence, so it comes first).
pub fn accept(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    id: TermsId,
    now: DateTime<Utc>,
) -> Result<AcuseRecord, ActError> {
    let current = terms::current(id);
    let record = acuse::issue(
        kv,
        seal,
        act,
        "Aceptación de Términos y Condiciones",
        vec![
            Dato::new("Términos y condiciones", current.titulo),
            Dato::new("Versión", current.version),
        ],
        now,
    )?;
    kv.set_json(
        &key(&record.rfc, id),
        &Acceptance {
            folio: record.folio.clone(),
            version: current.version.to_string(),
            sha256: current.sha256,
            fecha: record.fecha,
        },
    )?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{DEV, act_with_terms, seal, t0};
    use avisos_kv::MemoryKv;

    #[test]
    fn an_acceptance_is_recorded_with_its_acuse_and_read_back() {
        let kv = MemoryKv::new();
        let id = TermsId::RelacionesDeConfianza;
        let before = status(&kv, DEV, id).unwrap();
        assert!(!before.aceptados && before.ultima_aceptacion.is_none());
        let act = act_with_terms(DEV, crate::act::actions::ACEPTACION_TERMINOS, Some(id), &[]);
        let acuse = accept(&kv, &seal(), &act, id, t0()).unwrap();
        let after = status(&kv, DEV, id).unwrap();
        assert!(after.aceptados);
        let last = after.ultima_aceptacion.unwrap();
        assert_eq!((last.folio, last.fecha), (acuse.folio, t0()));
        assert_eq!(after.sha256_vigente, terms::current(id).sha256);
        // Another text stays unaccepted.
        assert!(
            !status(&kv, DEV, TermsId::CertificacionSolicitud)
                .unwrap()
                .aceptados
        );
    }

    #[test]
    fn an_older_version_accepted_is_not_the_current_one() {
        let kv = MemoryKv::new();
        let id = TermsId::CertificacionSolicitud;
        let old = Acceptance {
            folio: "0500000001".into(),
            version: "0.9".into(),
            sha256: "00".repeat(32),
            fecha: t0(),
        };
        kv.set_json(&key(DEV, id), &old).unwrap();
        let s = status(&kv, DEV, id).unwrap();
        assert!(!s.aceptados);
        assert_eq!(s.ultima_aceptacion, Some(old));
    }
}
