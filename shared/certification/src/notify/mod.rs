//! The outbox: every e-mail the guide promises (and the confirmation of the authorisation),
//! stored for the recipient's inbox in the portal and sent through the configured mail API.
//!
//! A notification is written first (`notificacion:<id>`, listed in `notificaciones:<RFC>`), so
//! the portal shows it whatever happens to the e-mail. When a mail API is configured it is also
//! queued in `notificaciones:pendientes`; [`deliver`] sends queued ones and records each attempt:
//! `enviada` (removed from the queue), or `fallida` with the error and the number of attempts
//! (kept in the queue and retried by later acts or by an analyst). Without a mail API it stays
//! `pendiente` and the portal inbox is its delivery.
//!
//! The mail API contract (our choice, the shape most transactional-mail HTTP APIs accept):
//! `POST <correo_api_url>` with `Authorization: Bearer <correo_api_token>` and a JSON body
//! `{ "para", "asunto", "texto", "referencia", "adjuntos"? }` (attachments as
//! `{ "nombre", "tipo", "contenido_base64" }`); any 2xx answer means accepted.
//!
//! **Sending is claimed** ([`deliver`]): before sending, a sender swaps the notification to
//! `en_envio` = now with compare-and-swap; of two acts or retries reaching the same one, one sends
//! and the other leaves it. A claim older than [`SEND_LEASE_SECONDS`] (its sender died) may be
//! taken over, so delivery is at least once, never zero; `referencia` (the notification id)
//! lets the mail API deduplicate. The outcome is swapped in against the claim: a failure is
//! recorded only by the claim's holder, a success always (a mail sent is never recorded as
//! failed), and only a sent notification leaves the queue.
//!
//! **Written before the act it belongs to commits**: an act's notification names the act
//! (`acto`, the folio of its acuse) and counts only once the request's record lists that act
//! ([`confirmed`]): the inbox and the sender skip it until then, so a store failure between the
//! notification and the record leaves nothing a reader sees.

use avisos_kv::{KeyValue, KeyValueJson, index};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CertificationError;

mod inbox;
mod send;
#[cfg(test)]
mod tests;

pub use inbox::{Inbox, inbox, parse_page};
pub use send::{
    Attachment, MailConfig, MailRequest, RetrySummary, claim_send, deliver, mail_request, queued,
    record_attempt, retry_queued,
};

/// Notifications per inbox page.
pub const PAGE_SIZE: usize = 20;
/// Queued notifications an act retries after sending its own.
pub const RETRY_PER_ACT: usize = 5;
/// Notifications one analyst retry sends at most.
pub const RETRY_PER_CALL: usize = 50;
/// Longest error text kept.
const MAX_ERROR_CHARS: usize = 300;
/// Seconds a claimed send keeps other senders off (a mail request takes seconds).
pub const SEND_LEASE_SECONDS: i64 = 120;
/// Seconds after which a queued notification whose act never committed leaves the queue.
pub const UNCONFIRMED_GRACE_SECONDS: i64 = 600;
/// Bounded retries of a notification's compare-and-swap under contention.
const CAS_ATTEMPTS: usize = 16;
const QUEUE: &str = "notificaciones:pendientes";
const COUNTER: &str = "notificacion:secuencia";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evento {
    #[serde(rename = "set-de-pruebas")]
    SetDePruebas,
    #[serde(rename = "inconsistencias")]
    Inconsistencias,
    #[serde(rename = "aprobacion")]
    Aprobacion,
    /// The developer signed the approval: «Certificación autorizada».
    #[serde(rename = "autorizacion")]
    Autorizacion,
    #[serde(rename = "cancelacion")]
    Cancelacion,
}

impl Evento {
    /// Every event (openapi.yaml's `evento` enum is checked against it).
    pub const ALL: [Evento; 5] = [
        Evento::SetDePruebas,
        Evento::Inconsistencias,
        Evento::Aprobacion,
        Evento::Autorizacion,
        Evento::Cancelacion,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Estado {
    #[serde(rename = "pendiente")]
    Pendiente,
    #[serde(rename = "enviada")]
    Enviada,
    #[serde(rename = "fallida")]
    Fallida,
}

impl Estado {
    /// Every delivery state (openapi.yaml's `estado` enum is checked against it).
    pub const ALL: [Estado; 3] = [Estado::Pendiente, Estado::Enviada, Estado::Fallida];
}

/// `notificacion:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub rfc: String,
    pub correo: String,
    pub evento: Evento,
    pub asunto: String,
    pub texto: String,
    /// The certification folio it is about.
    pub folio: String,
    /// A portal path to act on it (download the test set…).
    pub enlace: Option<String>,
    /// The test-set round it carries (attached to the e-mail as the set's .zip).
    #[serde(default)]
    pub ronda: Option<u32>,
    pub creada: DateTime<Utc>,
    pub estado: Estado,
    pub intentos: u32,
    pub ultimo_error: Option<String>,
    pub enviada: Option<DateTime<Utc>>,
    /// The folio of the act that produced it (`None`: not tied to an act): shown and sent only
    /// once the request's record lists that act ([`confirmed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acto: Option<String>,
    /// When a sender claimed it (see the module docs); `None` when nobody is sending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en_envio: Option<DateTime<Utc>>,
}

/// What a component passes to create one.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub rfc: String,
    pub correo: String,
    pub evento: Evento,
    pub asunto: String,
    pub texto: String,
    pub folio: String,
    pub enlace: Option<String>,
    pub ronda: Option<u32>,
    /// The folio of the act it belongs to (see [`Notification::acto`]).
    pub acto: Option<String>,
}

fn key(id: &str) -> String {
    format!("notificacion:{id}")
}

fn inbox_key(rfc: &str) -> String {
    format!("notificaciones:{}", rfc.to_uppercase())
}

/// Stores a notification (and queues it when `queue` — a mail API is configured).
pub fn enqueue(
    kv: &dyn KeyValue,
    new: NewNotification,
    queue: bool,
    now: DateTime<Utc>,
) -> Result<Notification, CertificationError> {
    let id = format!("{:010}", kv.increment(COUNTER, 1)?);
    let n = Notification {
        id: id.clone(),
        rfc: new.rfc.to_uppercase(),
        correo: new.correo,
        evento: new.evento,
        asunto: new.asunto,
        texto: new.texto,
        folio: new.folio,
        enlace: new.enlace,
        ronda: new.ronda,
        creada: now,
        estado: Estado::Pendiente,
        intentos: 0,
        ultimo_error: None,
        enviada: None,
        acto: new.acto,
        en_envio: None,
    };
    kv.set_json(&key(&id), &n)?;
    index::add(kv, &inbox_key(&n.rfc), &[&id])?;
    if queue {
        index::add(kv, QUEUE, &[&id])?;
    }
    Ok(n)
}

pub fn load(kv: &dyn KeyValue, id: &str) -> Result<Option<Notification>, CertificationError> {
    Ok(kv.get_json(&key(id))?)
}

/// Whether the act `n` belongs to took effect: its request's record lists the act.
pub fn confirmed(kv: &dyn KeyValue, n: &Notification) -> Result<bool, CertificationError> {
    let Some(acto) = &n.acto else {
        return Ok(true);
    };
    Ok(crate::record::load(kv, &n.folio)?
        .is_some_and(|c| c.act_folios().any(|f| f == acto.as_str())))
}

fn load_raw(
    kv: &dyn KeyValue,
    id: &str,
) -> Result<Option<(Notification, Vec<u8>)>, CertificationError> {
    let Some(raw) = kv.get(&key(id))? else {
        return Ok(None);
    };
    let n = serde_json::from_slice(&raw)
        .map_err(|_| CertificationError::internal("corrupt notification"))?;
    Ok(Some((n, raw)))
}

fn encode(n: &Notification) -> Result<Vec<u8>, CertificationError> {
    serde_json::to_vec(n).map_err(|e| CertificationError::internal(e.to_string()))
}
