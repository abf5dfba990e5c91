//! `SOLICITAR_CERTIFICACION`: a new request, committed by taking the developer's claim.

use avisos_acts::acuse::{self, AcuseRecord, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::{VerifiedAct, folio};
use avisos_kv::{KeyValue, index};
use avisos_relations::directory;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{
    ACUSE_SOLICITUD, Done, MAX_CORREO, calendar_of, developer_index, emails, status_index,
};
use crate::deadline::{self, DIAS_EVIDENCIA};
use crate::error::CertificationError;
use crate::notify;
use crate::record::{self, Certification, Plazo};
use crate::status::{Estatus, StoredEstatus};
use crate::today;
use crate::transition::{self, Applicant};

/// `SOLICITAR_CERTIFICACION`: a new request with its first test set (`semilla`, random).
pub fn request(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    semilla: u64,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, CertificationError> {
    let rfc = act.identity.rfc.to_uppercase();
    let (razon_social, correo) = applicant_fields(act)?;
    let hoy = today(now);
    let claim = record::claim_key(&rfc);
    let held = kv.get(&claim)?;
    refuse_while_live(kv, held.as_deref(), hoy)?;
    let (plazo, vence) = first_deadline(kv, hoy, queue_mail)?;
    let folio = folio::allocate(kv)?;
    let acuse = issue_acuse(
        kv,
        seal,
        act,
        &folio,
        (&razon_social, &correo),
        vence.as_deref(),
        now,
    )?;
    let who = Applicant {
        folio: folio.clone(),
        rfc: rfc.clone(),
        nombre: act.identity.name.clone(),
        razon_social,
        correo,
    };
    let mut c = transition::requested(who, semilla, hoy, acuse.fecha, plazo);
    // Written before the commit point, each ignored by readers until the claim names the
    // record: its notification (which the deadline names), the record (pending), the indexes.
    let n = notify::enqueue(kv, emails::test_set(&c, vence.as_deref()), queue_mail, now)?;
    if let Some(p) = c.plazo.as_mut() {
        p.correo = Some(n.id.clone());
    }
    let c = commit(kv, &claim, held.as_deref(), c)?;
    Ok(Done {
        acuse,
        certification: c,
        notifications: vec![n],
    })
}

/// The signed `razon_social` and `correo`, checked.
fn applicant_fields(act: &VerifiedAct) -> Result<(String, String), CertificationError> {
    let razon_social = avisos_relations::text::clean_name(
        act.spec.field("razon_social").unwrap_or_default(),
        directory::MAX_NAME_CHARS,
    )
    .ok_or(CertificationError::RazonSocialInvalid)?;
    let correo = validate_email(act.spec.field("correo").unwrap_or_default())?;
    Ok((razon_social, correo))
}

/// Refuses while the claim (`held`) names a request that is still live.
fn refuse_while_live(
    kv: &dyn KeyValue,
    held: Option<&[u8]>,
    hoy: NaiveDate,
) -> Result<(), CertificationError> {
    if let Some(holder) = held.filter(|b| !b.is_empty()) {
        let holder = String::from_utf8_lossy(holder).to_string();
        if let Some(c) = record::load(kv, &holder)? {
            let cal = calendar_of(kv, &c)?;
            if c.estatus(&cal, hoy).is_live() {
                return Err(en_curso(&c.folio));
            }
        }
    }
    Ok(())
}

/// The 45 days to upload and their last day as the guide writes it (`None` until the e-mail
/// that starts them is delivered).
fn first_deadline(
    kv: &dyn KeyValue,
    hoy: NaiveDate,
    queue_mail: bool,
) -> Result<(Plazo, Option<String>), CertificationError> {
    let cal = deadline::calendar_for(kv, hoy.year(), hoy.year())?;
    // From the delivery of the e-mail with the test set: the act's day when the portal inbox
    // is the delivery, the day the mail API accepts it otherwise.
    let plazo = Plazo {
        desde: (!queue_mail).then_some(hoy),
        dias: DIAS_EVIDENCIA,
        correo: None,
    };
    let vence = plazo.vence(&cal).map(crate::fecha_guia);
    Ok((plazo, vence))
}

/// The sealed acuse of the request.
fn issue_acuse(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    folio: &str,
    (razon_social, correo): (&str, &str),
    vence: Option<&str>,
    now: DateTime<Utc>,
) -> Result<AcuseRecord, CertificationError> {
    let vence_dato = vence.map(str::to_string).unwrap_or_else(|| {
        format!("{DIAS_EVIDENCIA} días hábiles a partir de la recepción del correo con el set de pruebas")
    });
    Ok(acuse::issue_as(
        kv,
        seal,
        act,
        folio,
        ACUSE_SOLICITUD,
        vec![
            Dato::new("Razón social", razon_social),
            Dato::new("Correo electrónico", correo),
            Dato::new("Estatus", Estatus::EnEspera.texto()),
            Dato::new("Fecha límite para enviar evidencias", &vence_dato),
        ],
        now,
    )?)
}

/// Writes the record pending and lists it, then the commit point: the developer's claim taken
/// from `held` to this folio. The request as committed.
fn commit(
    kv: &dyn KeyValue,
    claim: &str,
    held: Option<&[u8]>,
    c: Certification,
) -> Result<Certification, CertificationError> {
    let folio = c.folio.clone();
    let pending = record::encode(&c)?;
    kv.set(&record::key(&folio), &pending)?;
    index::add(kv, &developer_index(&c.rfc), &[&folio])?;
    index::add(kv, &status_index(StoredEstatus::EnEspera), &[&folio])?;
    // The commit point.
    if !kv.compare_and_swap(claim, held, folio.as_bytes())? {
        // Another request of the same developer won the race.
        let _ = kv.delete(&record::key(&folio));
        let holder = kv.get(claim)?.unwrap_or_default();
        return Err(en_curso(&String::from_utf8_lossy(&holder)));
    }
    let c = transition::committed(c);
    // Tidying only: readers count the record already (the claim names it).
    if let Ok(committed) = record::encode(&c) {
        let _ = kv.compare_and_swap(&record::key(&folio), Some(&pending), &committed);
    }
    Ok(c)
}

fn validate_email(s: &str) -> Result<String, CertificationError> {
    let e = s.trim();
    let bad = || CertificationError::EmailInvalid;
    if e.is_empty()
        || e.chars().count() > MAX_CORREO
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(e.to_string())
}

fn en_curso(folio: &str) -> CertificationError {
    // An empty claim: a request whose store failed in the middle holds it for up to two minutes
    // (avisos_kv::CheckedKv's create-once window) without a record to show.
    CertificationError::InProgress {
        folio: (!folio.is_empty()).then(|| folio.to_string()),
    }
}
