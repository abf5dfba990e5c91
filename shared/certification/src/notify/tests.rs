//! The outbox natively, on `MemoryKv`: attachments, the inbox, failures retried.

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
    assert_eq!(
        parse_page(Some("0")).unwrap_err().codigo(),
        "PAGINA_INVALIDA"
    );
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
