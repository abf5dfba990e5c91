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

use std::future::Future;

use avisos_http::ApiError;
use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use avisos_kv::index;

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
) -> Result<Notification, ApiError> {
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

pub fn load(kv: &dyn KeyValue, id: &str) -> Result<Option<Notification>, ApiError> {
    Ok(kv.get_json(&key(id))?)
}

/// Whether the act `n` belongs to took effect: its request's record lists the act.
pub fn confirmed(kv: &dyn KeyValue, n: &Notification) -> Result<bool, ApiError> {
    let Some(acto) = &n.acto else {
        return Ok(true);
    };
    Ok(crate::record::load(kv, &n.folio)?
        .is_some_and(|c| c.act_folios().any(|f| f == acto.as_str())))
}

fn load_raw(kv: &dyn KeyValue, id: &str) -> Result<Option<(Notification, Vec<u8>)>, ApiError> {
    let Some(raw) = kv.get(&key(id))? else {
        return Ok(None);
    };
    let n = serde_json::from_slice(&raw).map_err(|_| ApiError::internal("corrupt notification"))?;
    Ok(Some((n, raw)))
}

fn encode(n: &Notification) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(n).map_err(|e| ApiError::internal(&e.to_string()))
}

/// Claims the sending of `id` (see the module docs): the notification as claimed and its exact
/// bytes, or `None` when it is sent already, or being sent by a live claim.
pub fn claim_send(
    kv: &dyn KeyValue,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Notification, Vec<u8>)>, ApiError> {
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
) -> Result<Notification, ApiError> {
    let missing = || ApiError::internal("missing notification");
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
    Err(ApiError::new(
        503,
        "NOTIFICACION_OCUPADA",
        "La notificación se está actualizando desde otra solicitud. Intenta de nuevo en unos segundos.",
    ))
}

/// The queued ids, oldest first.
pub fn queued(kv: &dyn KeyValue, limit: usize) -> Result<Vec<String>, ApiError> {
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
) -> Result<Vec<Notification>, ApiError>
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
) -> Result<(Vec<Notification>, Vec<Notification>), ApiError>
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
) -> Result<RetrySummary, ApiError>
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

/// One page of a recipient's inbox, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inbox {
    pub rfc: String,
    pub pagina: usize,
    pub hay_mas: bool,
    pub notificaciones: Vec<Notification>,
}

pub fn inbox(kv: &dyn KeyValue, rfc: &str, pagina: usize) -> Result<Inbox, ApiError> {
    let pagina = pagina.max(1);
    let ids = index::read(kv, &inbox_key(rfc))?;
    let skip = (pagina - 1) * PAGE_SIZE;
    // Notifications of acts that never committed are skipped (see [`confirmed`]), so the page
    // is counted over the confirmed ones, one more than a page to know whether more follow.
    let mut shown = Vec::new();
    // The acts of each request read once (a developer's notifications share a few requests).
    let mut acts: std::collections::HashMap<String, Vec<String>> = Default::default();
    for id in ids.iter().rev() {
        if shown.len() > skip + PAGE_SIZE {
            break;
        }
        let Some(n) = load(kv, id)? else { continue };
        if let Some(acto) = &n.acto {
            if !acts.contains_key(&n.folio) {
                let listed = crate::record::load(kv, &n.folio)?
                    .map(|c| c.act_folios().map(str::to_string).collect())
                    .unwrap_or_default();
                acts.insert(n.folio.clone(), listed);
            }
            if !acts.get(&n.folio).is_some_and(|l| l.contains(acto)) {
                continue;
            }
        }
        shown.push(n);
    }
    let hay_mas = shown.len() > skip + PAGE_SIZE;
    Ok(Inbox {
        rfc: rfc.to_uppercase(),
        pagina,
        hay_mas,
        notificaciones: shown.into_iter().skip(skip).take(PAGE_SIZE).collect(),
    })
}

/// Parses `pagina` (default 1).
pub fn parse_page(s: Option<&str>) -> Result<usize, ApiError> {
    match s {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "PAGINA_INVALIDA",
                    "La página debe ser un número entre 1 y 10000.",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use avisos_kv::MemoryKv;
    use futures::executor::block_on;
    use std::cell::RefCell;

    fn new(rfc: &str, n: usize) -> NewNotification {
        NewNotification {
            rfc: rfc.into(),
            correo: "dev@example.com".into(),
            evento: Evento::SetDePruebas,
            asunto: format!("Asunto {n}"),
            texto: "Texto".into(),
            folio: "0500000001".into(),
            enlace: None,
            ronda: None,
            acto: None,
        }
    }

    fn no_attachment(_: &Notification) -> Option<Attachment> {
        None
    }

    #[test]
    fn attachments_travel_in_base64() {
        let kv = MemoryKv::new();
        let n = enqueue(&kv, new(DEV, 1), true, t0()).unwrap();
        let a = Attachment {
            nombre: "set.zip".into(),
            tipo: "application/zip".into(),
            contenido: b"PK".to_vec(),
        };
        let m = mail_request(&config(), &n, Some(&a));
        let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(v["adjuntos"][0]["nombre"], "set.zip");
        assert_eq!(v["adjuntos"][0]["contenido_base64"], "UEs=");
        let m = mail_request(&config(), &n, None);
        let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
        assert!(v.get("adjuntos").is_none());
    }

    fn config() -> MailConfig {
        MailConfig::from_variables(Some("http://correo/enviar".into()), Some("t".into())).unwrap()
    }

    #[test]
    fn inbox_is_per_rfc_newest_first_and_paginated() {
        let kv = MemoryKv::new();
        for i in 0..25 {
            enqueue(&kv, new(DEV, i), false, t0()).unwrap();
        }
        enqueue(&kv, new(DEV_2, 99), false, t0()).unwrap();
        let p1 = inbox(&kv, DEV, 1).unwrap();
        assert_eq!(p1.notificaciones.len(), PAGE_SIZE);
        assert!(p1.hay_mas);
        assert_eq!(p1.notificaciones[0].asunto, "Asunto 24");
        let p2 = inbox(&kv, DEV, 2).unwrap();
        assert_eq!(p2.notificaciones.len(), 5);
        assert!(!p2.hay_mas);
        assert_eq!(inbox(&kv, DEV_2, 1).unwrap().notificaciones.len(), 1);
        assert!(
            queued(&kv, 100).unwrap().is_empty(),
            "no mail API: nothing queued"
        );
        assert_eq!(parse_page(Some("0")).unwrap_err().codigo, "PAGINA_INVALIDA");
        assert_eq!(parse_page(None).unwrap(), 1);
    }

    #[test]
    fn failures_are_recorded_and_retried_until_sent() {
        let kv = MemoryKv::new();
        let cfg = config();
        let a = enqueue(&kv, new(DEV, 1), true, t0()).unwrap();
        let up = RefCell::new(false);
        let sent = RefCell::new(Vec::new());
        let send = |m: MailRequest| {
            let ok = *up.borrow();
            sent.borrow_mut().push(m.body.clone());
            async move {
                if ok {
                    Ok(202)
                } else {
                    Err("connection refused".to_string())
                }
            }
        };
        let out = block_on(deliver(
            &kv,
            Some(&cfg),
            std::slice::from_ref(&a.id),
            5,
            t0(),
            no_attachment,
            &send,
        ))
        .unwrap();
        assert_eq!(out[0].estado, Estado::Fallida);
        assert_eq!(out[0].intentos, 1);
        assert!(out[0].ultimo_error.as_deref().unwrap().contains("refused"));
        assert_eq!(queued(&kv, 10).unwrap(), std::slice::from_ref(&a.id));
        // A later act sends its own and retries the queued one.
        *up.borrow_mut() = true;
        let b = enqueue(&kv, new(DEV, 2), true, t0()).unwrap();
        let out = block_on(deliver(
            &kv,
            Some(&cfg),
            std::slice::from_ref(&b.id),
            5,
            t0(),
            no_attachment,
            &send,
        ))
        .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].estado, Estado::Enviada);
        let a = load(&kv, &a.id).unwrap().unwrap();
        assert_eq!((a.estado, a.intentos), (Estado::Enviada, 2));
        assert!(queued(&kv, 10).unwrap().is_empty());
        let body: serde_json::Value = serde_json::from_slice(&sent.borrow()[0]).unwrap();
        assert_eq!(body["para"], "dev@example.com");
        assert_eq!(body["referencia"], a.id);
    }

    #[test]
    fn http_errors_fail_and_the_analyst_retry_reports() {
        let kv = MemoryKv::new();
        let cfg = config();
        for i in 0..3 {
            enqueue(&kv, new(DEV, i), true, t0()).unwrap();
        }
        let send = |_m: MailRequest| async { Ok(503) };
        let s = block_on(retry_queued(&kv, Some(&cfg), t0(), no_attachment, send)).unwrap();
        assert_eq!((s.intentadas, s.fallidas, s.pendientes), (3, 3, 3));
        let n = load(&kv, "0000000001").unwrap().unwrap();
        assert!(n.ultimo_error.unwrap().contains("503"));
        let send = |_m: MailRequest| async { Ok(200) };
        let s = block_on(retry_queued(&kv, Some(&cfg), t0(), no_attachment, send)).unwrap();
        assert_eq!((s.enviadas, s.pendientes), (3, 0));
        // Without a mail API nothing is attempted.
        let s = block_on(retry_queued(&kv, None, t0(), no_attachment, send)).unwrap();
        assert_eq!(s.intentadas, 0);
        assert_eq!(MailConfig::from_variables(Some("  ".into()), None), None);
    }
}
