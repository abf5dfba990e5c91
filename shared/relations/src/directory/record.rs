//! Changes of a developer's record, by compare-and-swap in the write order of the
//! [module docs](super), and the dates its authorised generations ended.

use crate::RelationError;
use avisos_kv::{KeyValue, KeyValueJson, KvError, swap};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::search::{put_entry, sync_bucket, update_bucket, wanted_buckets};
use super::{CertStatus, Developer, key, load_stored, resolve};

/// Cancellations kept per developer (the newest).
pub const MAX_CANCELACIONES: usize = 32;

/// When one generation of a developer's certification ended (see [`cancellations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancelacion {
    pub generacion: u32,
    pub fecha: DateTime<Utc>,
}

/// `desarrollador:cancelaciones:<RFC>`: when each authorised generation ended, oldest first.
fn cancellations_key(rfc: &str) -> String {
    format!("desarrollador:cancelaciones:{}", rfc.to_uppercase())
}

/// When generation `generacion` of `rfc`'s certification was cancelled, as recorded after the
/// change that ended it ([`update`]). What employers see beside «Relación no vigente»; `None`
/// when not recorded (the record itself then says it, while that generation is the last one:
/// [`Developer::actualizado`] of a cancelled developer).
pub fn cancelled_on(
    kv: &dyn KeyValue,
    rfc: &str,
    generacion: u32,
) -> Result<Option<DateTime<Utc>>, RelationError> {
    let list: Vec<Cancelacion> = kv.get_json(&cancellations_key(rfc))?.unwrap_or_default();
    Ok(list
        .iter()
        .rev()
        .find(|c| c.generacion == generacion)
        .map(|c| c.fecha))
}

/// Records that `generacion` ended at `fecha` (compare-and-swap append; the first record of a
/// generation stands, so repeating it is harmless).
fn record_cancellation(
    kv: &dyn KeyValue,
    rfc: &str,
    generacion: u32,
    fecha: DateTime<Utc>,
) -> Result<(), RelationError> {
    let k = cancellations_key(rfc);
    swap::update(kv, &k, |before| {
        let mut list: Vec<Cancelacion> = match before {
            None => Vec::new(),
            Some(b) => serde_json::from_slice(b)
                .map_err(|_| RelationError::internal("corrupt cancellation list"))?,
        };
        if list.iter().any(|c| c.generacion == generacion) {
            return Ok(None);
        }
        list.push(Cancelacion { generacion, fecha });
        let excess = list.len().saturating_sub(MAX_CANCELACIONES);
        list.drain(..excess);
        let after =
            serde_json::to_vec(&list).map_err(|e| RelationError::internal(e.to_string()))?;
        Ok(Some(after))
    })
}

/// Another writer kept winning for every attempt (see [`swap::update`]).
pub(super) fn busy(key: &str) -> RelationError {
    KvError::Busy(key.to_owned()).into()
}

/// Changes a developer's record with compare-and-swap: `change` sees the record as stored
/// (`None`: never registered) and returns the new one, or `None` to leave it. The generation is
/// decided here ([`Developer::next_generation`], from the record as readers saw it). Order: the
/// search entries of an authorisation first (searches check every entry against its record, so
/// they show nothing yet), the record (the commit point), then every bucket of the old and new
/// record made to agree with it. Returns the record written, if any.
pub fn update(
    kv: &dyn KeyValue,
    rfc: &str,
    change: impl Fn(Option<&Developer>) -> Option<Developer>,
) -> Result<Option<Developer>, RelationError> {
    let k = key(rfc);
    for _ in 0..swap::ATTEMPTS {
        let stored = load_stored(kv, rfc)?;
        let previous = match &stored {
            None => None,
            Some((d, _)) => resolve(kv, d.clone())?,
        };
        let Some(next) = change(stored.as_ref().map(|(d, _)| d)) else {
            return Ok(None);
        };
        let next = Developer {
            generacion: Developer::next_generation(previous.as_ref(), next.estatus),
            ..next
        };
        let raw = stored.as_ref().map(|(_, raw)| raw.as_slice());
        let bytes =
            serde_json::to_vec(&next).map_err(|e| RelationError::internal(e.to_string()))?;
        if raw == Some(bytes.as_slice()) {
            return Ok(Some(next));
        }
        for (b, entry) in wanted_buckets(&next) {
            update_bucket(kv, &b, |entries| put_entry(entries, &entry))?;
        }
        if !kv.compare_and_swap(&k, raw, &bytes)? {
            continue;
        }
        // The authorised generation the stored record held ended here (cancelled, or replaced
        // by a new one after a cancellation its request recorded): when, for the employers'
        // tables. Best effort after the commit: without it the date is only missing.
        if let Some((s, _)) = &stored
            && s.estatus == CertStatus::Autorizada
            && (next.estatus == CertStatus::Cancelada || next.generacion != s.generacion)
        {
            let fecha = match &previous {
                Some(p) if p.estatus == CertStatus::Cancelada => p.actualizado,
                _ => next.actualizado,
            };
            let _ = record_cancellation(kv, rfc, s.generacion, fecha);
        }
        let mut touched: Vec<String> = stored
            .iter()
            .flat_map(|(d, _)| wanted_buckets(d))
            .chain(wanted_buckets(&next))
            .map(|(b, _)| b)
            .collect();
        touched.sort();
        touched.dedup();
        for b in touched {
            sync_bucket(kv, &b, rfc)?;
        }
        return Ok(Some(next));
    }
    Err(busy(&k))
}

/// Sets a developer's certification status as an analyst does: whatever was stored, unlinked
/// from any certification request (see [`update`]).
pub fn set_status(kv: &dyn KeyValue, developer: Developer) -> Result<Developer, RelationError> {
    let rfc = developer.rfc.clone();
    let written = update(kv, &rfc, |_| {
        Some(Developer {
            certificacion: None,
            anterior: None,
            ..developer.clone()
        })
    })?;
    written.ok_or_else(|| RelationError::internal("directory update wrote nothing"))
}

/// The approval of certification request `folio` being signed: the developer's record names the
/// request and keeps the one it replaces, which readers see until the request says `autorizada`
/// (its compare-and-swap is the act's commit point). Repeating it for the same request is
/// harmless.
pub fn grant_pending(
    kv: &dyn KeyValue,
    folio: &str,
    developer: Developer,
) -> Result<Developer, RelationError> {
    let rfc = developer.rfc.clone();
    let written = update(kv, &rfc, |stored| {
        // A retry keeps what the first attempt replaced.
        let replaced = match stored {
            Some(d) if d.certificacion.as_deref() == Some(folio) => d.anterior.clone(),
            Some(d) => Some(Box::new(Developer {
                anterior: None,
                ..d.clone()
            })),
            None => None,
        };
        Some(Developer {
            estatus: CertStatus::Autorizada,
            certificacion: Some(folio.to_string()),
            anterior: replaced,
            ..developer.clone()
        })
    })?;
    written.ok_or_else(|| RelationError::internal("directory update wrote nothing"))
}

/// After the approval of certification request `folio` was signed (which already authorised the
/// developer, see [`load`]): forgets the record it replaced, and with it that record's search
/// entries. Nothing when the record no longer names the request.
pub fn confirm(kv: &dyn KeyValue, rfc: &str, folio: &str) -> Result<(), RelationError> {
    update(kv, rfc, |stored| match stored {
        Some(d) if d.certificacion.as_deref() == Some(folio) && d.anterior.is_some() => {
            Some(Developer {
                anterior: None,
                ..d.clone()
            })
        }
        _ => None,
    })?;
    Ok(())
}

/// After certification request `folio` was cancelled (which already took the developer out,
/// see [`load`]): records it, unless the record no longer names that request (an analyst's
/// registration since stands).
pub fn revoke(
    kv: &dyn KeyValue,
    rfc: &str,
    folio: &str,
    act_folio: &str,
    now: DateTime<Utc>,
) -> Result<(), RelationError> {
    update(kv, rfc, |stored| match stored {
        Some(d)
            if d.certificacion.as_deref() == Some(folio)
                && (d.estatus != CertStatus::Cancelada || d.anterior.is_some()) =>
        {
            Some(Developer {
                estatus: CertStatus::Cancelada,
                actualizado: now,
                folio: act_folio.to_string(),
                anterior: None,
                ..d.clone()
            })
        }
        _ => None,
    })?;
    Ok(())
}
