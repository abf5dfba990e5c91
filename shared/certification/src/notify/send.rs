//! Sending through the mail API: the claim, the attempt recorded, the queue retried (see the
//! module docs of [`crate::notify`]).

use std::future::Future;

use avisos_kv::{KeyValue, index};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    CAS_ATTEMPTS, Estado, MAX_ERROR_CHARS, Notification, QUEUE, RETRY_PER_CALL, SEND_LEASE_SECONDS,
    UNCONFIRMED_GRACE_SECONDS, confirmed, encode, key, load, load_raw,
};
use crate::error::CertificationError;

/// The configured mail API (Spin variables `correo_api_url`, `correo_api_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    pub url: String,
    pub token: Option<String>,
}

impl MailConfig {
    /// `None` when no URL is configured (the portal inbox is then the only delivery).
    pub fn from_variables(url: Option<String>, token: Option<String>) -> Option<MailConfig> {
        let url = url?.trim().to_string();
        if url.is_empty() {
            return None;
        }
        Some(MailConfig {
            url,
            token: token
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        })
    }
}

/// One outbound e-mail, ready for the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRequest {
    pub url: String,
    pub token: Option<String>,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// Claims the sending of `id` (see the module docs): the notification as claimed and its exact
/// bytes, or `None` when it is sent already, or being sent by a live claim.
pub fn claim_send(
    kv: &dyn KeyValue,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Notification, Vec<u8>)>, CertificationError> {
    for _ in 0..CAS_ATTEMPTS {
        let Some((n, raw)) = load_raw(kv, id)? else {
            return Ok(None);
        };
        if n.estado == Estado::Enviada {
            return Ok(None);
        }
        if n.en_envio
            .is_some_and(|t| (now - t).num_seconds() < SEND_LEASE_SECONDS)
        {
            return Ok(None);
        }
        let claimed = Notification {
            en_envio: Some(now),
            ..n
        };
        let bytes = encode(&claimed)?;
        if kv.compare_and_swap(&key(id), Some(&raw), &bytes)? {
            return Ok(Some((claimed, bytes)));
        }
    }
    Ok(None)
}

/// A file attached to an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub nombre: String,
    pub tipo: String,
    pub contenido: Vec<u8>,
}

/// The e-mail of a notification, with its attachment if any (`adjuntos`, base64).
pub fn mail_request(
    config: &MailConfig,
    n: &Notification,
    attachment: Option<&Attachment>,
) -> MailRequest {
    use base64::Engine;
    let mut body = serde_json::json!({
        "para": n.correo,
        "asunto": n.asunto,
        "texto": n.texto,
        "referencia": n.id,
    });
    if let Some(a) = attachment {
        body["adjuntos"] = serde_json::json!([{
            "nombre": a.nombre,
            "tipo": a.tipo,
            "contenido_base64": base64::engine::general_purpose::STANDARD.encode(&a.contenido),
        }]);
    }
    MailRequest {
        url: config.url.clone(),
        token: config.token.clone(),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// Records one delivery attempt of the claim `claimed` (the bytes [`claim_send`] swapped in): a
/// success whatever happened meanwhile (it leaves the queue), a failure only if the claim is
/// still there (otherwise another sender owns the outcome). Returns the notification as it ends.
pub fn record_attempt(
    kv: &dyn KeyValue,
    id: &str,
    claimed: &[u8],
    outcome: Result<(), String>,
    now: DateTime<Utc>,
) -> Result<Notification, CertificationError> {
    let missing = || CertificationError::internal("missing notification");
    for _ in 0..CAS_ATTEMPTS {
        let (n, raw) = load_raw(kv, id)?.ok_or_else(missing)?;
        let next = match &outcome {
            Ok(()) if n.estado == Estado::Enviada => {
                index::remove(kv, QUEUE, id)?;
                return Ok(n);
            }
            Ok(()) => Notification {
                estado: Estado::Enviada,
                enviada: Some(now),
                ultimo_error: None,
                intentos: n.intentos + 1,
                en_envio: None,
                ..n
            },
            Err(_) if raw != claimed => return Ok(n),
            Err(e) => Notification {
                estado: Estado::Fallida,
                ultimo_error: Some(e.chars().take(MAX_ERROR_CHARS).collect()),
                intentos: n.intentos + 1,
                en_envio: None,
                ..n
            },
        };
        if kv.compare_and_swap(&key(id), Some(&raw), &encode(&next)?)? {
            if next.estado == Estado::Enviada {
                index::remove(kv, QUEUE, id)?;
            }
            return Ok(next);
        }
    }
    Err(CertificationError::NotificationBusy)
}

/// The queued ids, oldest first.
pub fn queued(kv: &dyn KeyValue, limit: usize) -> Result<Vec<String>, CertificationError> {
    let mut ids = index::read(kv, QUEUE)?;
    ids.truncate(limit);
    Ok(ids)
}

/// Sends `ids` (then up to `retry` more from the queue) through `send`, which performs the HTTP
/// request and answers the response status or a transport error; `attach` gives a
/// notification's attachment. Returns the notifications as they ended. Storage errors stop the
/// loop (what was recorded stays recorded).
pub async fn deliver<A, F, Fut>(
    kv: &dyn KeyValue,
    config: Option<&MailConfig>,
    ids: &[String],
    retry: usize,
    now: DateTime<Utc>,
    attach: A,
    send: F,
) -> Result<Vec<Notification>, CertificationError>
where
    A: Fn(&Notification) -> Option<Attachment>,
    F: Fn(MailRequest) -> Fut,
    Fut: Future<Output = Result<u16, String>>,
{
    Ok(send_claimed(kv, config, ids, retry, now, attach, send)
        .await?
        .0)
}

/// [`deliver`], and the notifications this call itself sent or failed to send (not those
/// another sender held).
async fn send_claimed<A, F, Fut>(
    kv: &dyn KeyValue,
    config: Option<&MailConfig>,
    ids: &[String],
    retry: usize,
    now: DateTime<Utc>,
    attach: A,
    send: F,
) -> Result<(Vec<Notification>, Vec<Notification>), CertificationError>
where
    A: Fn(&Notification) -> Option<Attachment>,
    F: Fn(MailRequest) -> Fut,
    Fut: Future<Output = Result<u16, String>>,
{
    let mut out = Vec::new();
    let mut attempted = Vec::new();
    let Some(config) = config else {
        for id in ids {
            out.extend(load(kv, id)?);
        }
        return Ok((out, attempted));
    };
    let mut todo: Vec<String> = ids.to_vec();
    for id in queued(kv, retry + ids.len())? {
        if !todo.contains(&id) && todo.len() < ids.len() + retry {
            todo.push(id);
        }
    }
    for id in todo {
        let Some(n) = load(kv, &id)? else { continue };
        if n.estado == Estado::Enviada {
            index::remove(kv, QUEUE, &id)?;
            continue;
        }
        if !confirmed(kv, &n)? {
            // Its act never committed (or is still committing): never sent; dropped from the
            // queue once it is clearly abandoned.
            if (now - n.creada).num_seconds() > UNCONFIRMED_GRACE_SECONDS {
                index::remove(kv, QUEUE, &id)?;
            }
            continue;
        }
        let Some((n, claimed)) = claim_send(kv, &id, now)? else {
            // Sent, or being sent by another request.
            if ids.contains(&id) {
                out.extend(load(kv, &id)?);
            }
            continue;
        };
        let attachment = attach(&n);
        let outcome = match send(mail_request(config, &n, attachment.as_ref())).await {
            Ok(status) if (200..300).contains(&status) => Ok(()),
            Ok(status) => Err(format!("El servicio de correo respondió HTTP {status}.")),
            Err(e) => Err(format!("No se pudo contactar al servicio de correo: {e}")),
        };
        let n = record_attempt(kv, &id, &claimed, outcome, now)?;
        attempted.push(n.clone());
        if ids.contains(&id) {
            out.push(n);
        }
    }
    Ok((out, attempted))
}

/// Result of an analyst's retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetrySummary {
    pub intentadas: usize,
    pub enviadas: usize,
    pub fallidas: usize,
    pub pendientes: usize,
}

/// Retries up to [`RETRY_PER_CALL`] queued notifications.
pub async fn retry_queued<A, F, Fut>(
    kv: &dyn KeyValue,
    config: Option<&MailConfig>,
    now: DateTime<Utc>,
    attach: A,
    send: F,
) -> Result<RetrySummary, CertificationError>
where
    A: Fn(&Notification) -> Option<Attachment>,
    F: Fn(MailRequest) -> Fut,
    Fut: Future<Output = Result<u16, String>>,
{
    let ids = queued(kv, RETRY_PER_CALL)?;
    let tried = if config.is_some() {
        send_claimed(kv, config, &ids, 0, now, attach, send)
            .await?
            .1
    } else {
        Vec::new()
    };
    Ok(RetrySummary {
        intentadas: tried.len(),
        enviadas: tried.iter().filter(|n| n.estado == Estado::Enviada).count(),
        fallidas: tried.iter().filter(|n| n.estado == Estado::Fallida).count(),
        pendientes: index::read(kv, QUEUE)?.len(),
    })
}
