//! `CANCELAR_CERTIFICACION`, and the one-time download of its acuse.

use avisos_acts::VerifiedAct;
use avisos_acts::acuse::{self, AcuseRecord, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::Session;
use avisos_kv::{KeyValue, KeyValueJson, index};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ACUSE_CANCELACION, Done, calendar_of, emails, settle_quietly, status_index};
use crate::error::CertificationError;
use crate::notify;
use crate::record;
use crate::status::StoredEstatus;
use crate::today;
use crate::transition;

fn receipt_key(folio_cancelacion: &str) -> String {
    format!("certificacion:acuse-cancelacion:{folio_cancelacion}")
}

fn delivery_key(folio_cancelacion: &str) -> String {
    format!("certificacion:entrega-cancelacion:{folio_cancelacion}")
}

/// The one-time download of the acuse de cancelación.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Delivery {
    token_sha256: String,
    sid: String,
    entregado: bool,
}

/// `CANCELAR_CERTIFICACION`: from any live state. The developer leaves the directory (so no
/// relation authorises it any more), the claim is released (it may request again), and the acuse
/// is kept apart from `acuse:<folio>` so it is handed over only in this answer and one download
/// with `token` (random) from the same session.
pub fn cancel(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    session: &Session,
    act: &VerifiedAct,
    token: &str,
    queue_mail: bool,
    now: DateTime<Utc>,
) -> Result<Done, CertificationError> {
    let folio = act.spec.field("folio").unwrap_or_default();
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    let cal = calendar_of(kv, &c)?;
    let estatus = c.estatus(&cal, today(now));
    if !estatus.is_live() {
        settle_quietly(kv, &c);
        return Err(CertificationError::NotLive(estatus));
    }
    let acuse = acuse::issue(
        kv,
        seal,
        act,
        ACUSE_CANCELACION,
        vec![
            Dato::new("Folio de la solicitud", folio),
            Dato::new("Razón social", &c.razon_social),
            Dato::new("Resultado", "La certificación ha sido cancelada con éxito."),
        ],
        now,
    )?;
    let folio_acuse = acuse.folio.clone();
    // Handed over once: off the general acuses endpoint.
    kv.set_json(&receipt_key(&folio_acuse), &acuse)?;
    kv.delete(&format!("acuse:{folio_acuse}"))?;
    kv.set_json(
        &delivery_key(&folio_acuse),
        &Delivery {
            token_sha256: sha256_hex(token.as_bytes()),
            sid: session.sid.clone(),
            entregado: false,
        },
    )?;
    let next = transition::cancelled(&c, &folio_acuse, acuse.fecha, now);
    let n = notify::enqueue(kv, emails::cancellation(&c, &folio_acuse), queue_mail, now)?;
    index::add(kv, &status_index(StoredEstatus::Cancelada), &[folio])?;
    // The commit point: from here the request is cancelled, its developer out of the directory
    // (which follows this record) and its claim free (a cancelled holder does not count).
    record::swap(kv, &raw, &next)?;
    settle_quietly(kv, &next);
    Ok(Done {
        acuse,
        certification: next,
        notifications: vec![n],
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    efirma::to_hex(&sha2::Sha256::digest(data))
}

/// The acuse de cancelación, once: the token of the cancellation's answer, from the same session.
pub fn take_cancellation_receipt(
    kv: &dyn KeyValue,
    session: &Session,
    folio: &str,
    token: &str,
) -> Result<AcuseRecord, CertificationError> {
    let not_found = || CertificationError::CancellationReceiptNotFound;
    let (c, _) = crate::require_owner(kv, session, folio).map_err(|_| not_found())?;
    let fc = c.folio_cancelacion.ok_or_else(not_found)?;
    let k = delivery_key(&fc);
    let raw = kv.get(&k)?.ok_or_else(not_found)?;
    let d: Delivery = serde_json::from_slice(&raw)
        .map_err(|_| CertificationError::internal("corrupt delivery record"))?;
    if d.token_sha256 != sha256_hex(token.as_bytes()) || d.sid != session.sid {
        return Err(not_found());
    }
    let gone = || CertificationError::CancellationReceiptDelivered;
    if d.entregado {
        return Err(gone());
    }
    let after = serde_json::to_vec(&Delivery {
        entregado: true,
        ..d
    })
    .map_err(|e| CertificationError::internal(e.to_string()))?;
    if !kv.compare_and_swap(&k, Some(&raw), &after)? {
        return Err(gone());
    }
    kv.get_json(&receipt_key(&fc))?.ok_or_else(not_found)
}
