//! Acuses: the receipt of every signed act. The record holds what the PDF shows and the service's
//! seal over the acuse's own cadena; PDFs are rendered from it on demand ([`crate::pdf`]), so the
//! store keeps one small JSON document per act.
//!
//! Seal cadena (`efirma::cadena::cadena_original` of, in order): `AVISOS-ACUSE`, `1`, folio,
//! título, fecha (ISO 8601, America/Mexico_City), RFC, nombre, número de certificado, one
//! `etiqueta=valor` per datum, the act's cadena original, the actor's signature (base64).

use crate::ActError;
use avisos_kv::{KeyValue, KeyValueJson};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::act::VerifiedAct;
use crate::seal::ServiceSeal;
use crate::session::Session;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dato {
    pub etiqueta: String,
    pub valor: String,
}

impl Dato {
    pub fn new(etiqueta: impl Into<String>, valor: impl Into<String>) -> Dato {
        Dato {
            etiqueta: etiqueta.into(),
            valor: valor.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TerminosAceptados {
    pub id: String,
    pub titulo: String,
    pub version: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcuseRecord {
    pub folio: String,
    pub titulo: String,
    pub accion: String,
    pub fecha: DateTime<Utc>,
    pub rfc: String,
    pub nombre: String,
    pub numero_certificado: String,
    pub datos: Vec<Dato>,
    pub terminos: Option<TerminosAceptados>,
    pub cadena_original: String,
    /// The actor's signature, base64.
    pub firma: String,
    pub cadena_sello: String,
    /// The service's seal over `cadena_sello`, base64.
    pub sello: String,
    /// SHA-256 of the seal key's SubjectPublicKeyInfo.
    pub sello_huella: String,
}

/// The answer every act gives about its acuse, on its own or flattened into a larger answer
/// (schema `ActoRegistrado`): the one place its shape and the acuse's URL are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub folio: String,
    /// ISO 8601, America/Mexico_City.
    pub fecha: String,
    pub rfc: String,
    pub nombre: String,
    /// Where the acuse is downloaded (`GET`, PDF or `?formato=json`); absent when the answer
    /// hands the acuse over itself, once (the acuse de cancelación of a certification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acuse: Option<String>,
}

impl Receipt {
    pub fn of(record: &AcuseRecord) -> Receipt {
        Receipt {
            folio: record.folio.clone(),
            fecha: crate::iso(record.fecha),
            rfc: record.rfc.clone(),
            nombre: record.nombre.clone(),
            acuse: Some(url(&record.folio)),
        }
    }

    /// The receipt of an acuse the answer hands over itself, without its link.
    pub fn unlinked(record: &AcuseRecord) -> Receipt {
        Receipt {
            acuse: None,
            ..Receipt::of(record)
        }
    }
}

/// The URL of an acuse.
pub fn url(folio: &str) -> String {
    format!("/api/v1/acuses/{folio}")
}

impl AcuseRecord {
    /// Recomputes the seal cadena from the record's fields.
    pub fn expected_cadena_sello(&self) -> String {
        let mut fields = vec![
            "AVISOS-ACUSE".to_string(),
            "1".to_string(),
            self.folio.clone(),
            self.titulo.clone(),
            crate::iso(self.fecha),
            self.rfc.clone(),
            self.nombre.clone(),
            self.numero_certificado.clone(),
        ];
        fields.extend(
            self.datos
                .iter()
                .map(|d| format!("{}={}", d.etiqueta, d.valor)),
        );
        fields.push(self.cadena_original.clone());
        fields.push(self.firma.clone());
        efirma::cadena::cadena_original(&fields)
    }

    /// Checks the seal with the published key and that it covers this record's data.
    pub fn seal_verifies(&self, public_pem: &str) -> bool {
        let Ok(sello) = crate::b64().decode(&self.sello) else {
            return false;
        };
        self.cadena_sello == self.expected_cadena_sello()
            && crate::seal::verify(public_pem, self.cadena_sello.as_bytes(), &sello)
    }
}

fn key(folio: &str) -> String {
    format!("acuse:{folio}")
}

/// Seals and stores the acuse of a verified act under a new folio ([`crate::folio::allocate`]).
pub fn issue(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    titulo: &str,
    datos: Vec<Dato>,
    now: DateTime<Utc>,
) -> Result<AcuseRecord, ActError> {
    let folio = crate::folio::allocate(kv)?;
    issue_as(kv, seal, act, &folio, titulo, datos, now)
}

/// Seals and stores the acuse of a verified act under `folio`, already allocated because the
/// act's own record bears it too (a relation's No. de Caso, a certification request's folio).
pub fn issue_as(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    folio: &str,
    titulo: &str,
    datos: Vec<Dato>,
    now: DateTime<Utc>,
) -> Result<AcuseRecord, ActError> {
    let mut record = AcuseRecord {
        folio: folio.to_string(),
        titulo: titulo.to_string(),
        accion: act.spec.accion.to_string(),
        // Whole seconds: the acuse shows and seals the time to the second.
        fecha: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
        rfc: act.identity.rfc.clone(),
        nombre: act.identity.name.clone(),
        numero_certificado: act.identity.certificate_number.clone(),
        datos,
        terminos: act.terms.as_ref().map(|t| TerminosAceptados {
            id: t.id.slug().to_string(),
            titulo: t.titulo.to_string(),
            version: t.version.to_string(),
            sha256: t.sha256.clone(),
        }),
        cadena_original: act.cadena.clone(),
        firma: act.firma_b64.clone(),
        cadena_sello: String::new(),
        sello: String::new(),
        sello_huella: seal.fingerprint().to_string(),
    };
    record.cadena_sello = record.expected_cadena_sello();
    record.sello = crate::b64().encode(seal.sign(record.cadena_sello.as_bytes())?);
    kv.set_json(&key(folio), &record)?;
    Ok(record)
}

/// Loads an acuse for its owner. Someone else's folio answers exactly like a missing one.
pub fn load_for_owner(
    kv: &dyn KeyValue,
    folio: &str,
    session: &Session,
) -> Result<AcuseRecord, ActError> {
    let not_found = || ActError::AcuseNotFound;
    if !crate::folio::is_well_formed(folio) {
        return Err(not_found());
    }
    match kv.get_json::<AcuseRecord>(&key(folio))? {
        Some(r) if r.rfc.eq_ignore_ascii_case(&session.rfc) => Ok(r),
        _ => Err(not_found()),
    }
}
