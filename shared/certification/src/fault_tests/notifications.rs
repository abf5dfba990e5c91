//! Item 8, notifications: concurrent senders, outcomes never lost, uncommitted acts unseen.

use super::*;

fn config() -> MailConfig {
    MailConfig::from_variables(Some("http://correo/enviar".into()), None).unwrap()
}

fn queued_request(kv: &MemoryKv) -> String {
    solicitar(kv);
    let ids = notify::queued(kv, 10).unwrap();
    assert_eq!(ids.len(), 1);
    ids[0].clone()
}

/// Eight acts deliver the same queued notification at once: one mail, recorded sent.
#[test]
fn concurrent_senders_send_a_notification_once() {
    for _ in 0..20 {
        let kv = Arc::new(MemoryKv::new());
        let id = queued_request(&kv);
        let sent = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (kv, sent, id) = (kv.clone(), sent.clone(), id.clone());
                std::thread::spawn(move || {
                    let send = |_m: MailRequest| {
                        sent.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        async { Ok(202) }
                    };
                    futures::executor::block_on(notify::deliver(
                        &*kv,
                        Some(&config()),
                        std::slice::from_ref(&id),
                        0,
                        now(),
                        |_| None,
                        send,
                    ))
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sent.load(Ordering::SeqCst), 1, "one mail");
        let n = notify::load(&*kv, &id).unwrap().unwrap();
        assert_eq!(
            (n.estado, n.intentos, n.en_envio),
            (Estado::Enviada, 1, None)
        );
        assert!(notify::queued(&*kv, 10).unwrap().is_empty());
    }
}

/// A sender that took longer than the lease: another took the notification over and failed.
/// The first one's success is still recorded, and the notification leaves the queue; the
/// other way round, a failure reported after a success changes nothing.
#[test]
fn a_sent_mail_is_never_recorded_as_failed() {
    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let (_, slow) = notify::claim_send(&kv, &id, now()).unwrap().unwrap();
    assert!(
        notify::claim_send(&kv, &id, now() + Duration::seconds(5))
            .unwrap()
            .is_none(),
        "a live claim keeps others off"
    );
    let later = now() + Duration::seconds(notify::SEND_LEASE_SECONDS + 1);
    let (_, fast) = notify::claim_send(&kv, &id, later).unwrap().unwrap();
    let n = notify::record_attempt(&kv, &id, &fast, Err("timeout".into()), later).unwrap();
    assert_eq!(n.estado, Estado::Fallida);
    let n = notify::record_attempt(&kv, &id, &slow, Ok(()), later).unwrap();
    assert_eq!((n.estado, n.intentos), (Estado::Enviada, 2));
    assert!(notify::queued(&kv, 10).unwrap().is_empty());

    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let (_, slow) = notify::claim_send(&kv, &id, now()).unwrap().unwrap();
    let (_, fast) = notify::claim_send(&kv, &id, later).unwrap().unwrap();
    notify::record_attempt(&kv, &id, &fast, Ok(()), later).unwrap();
    let n = notify::record_attempt(&kv, &id, &slow, Err("timeout".into()), later).unwrap();
    assert_eq!(
        n.estado,
        Estado::Enviada,
        "the late failure is not recorded"
    );
    assert!(notify::queued(&kv, 10).unwrap().is_empty());
}

/// A failed send stays queued and is retried by a later act until sent.
#[test]
fn a_failed_send_stays_queued_until_sent() {
    let kv = MemoryKv::new();
    let id = queued_request(&kv);
    let fail = |_m: MailRequest| async { Err("connection refused".to_string()) };
    let ok = |_m: MailRequest| async { Ok(202) };
    let ids = std::slice::from_ref(&id);
    let out = futures::executor::block_on(notify::deliver(
        &kv,
        Some(&config()),
        ids,
        0,
        now(),
        |_| None,
        fail,
    ))
    .unwrap();
    assert_eq!(out[0].estado, Estado::Fallida);
    assert_eq!(notify::queued(&kv, 10).unwrap(), ids);
    let out = futures::executor::block_on(notify::deliver(
        &kv,
        Some(&config()),
        &[],
        5,
        now(),
        |_| None,
        ok,
    ))
    .unwrap();
    assert!(out.is_empty());
    assert_eq!(
        notify::load(&kv, &id).unwrap().unwrap().estado,
        Estado::Enviada
    );
    assert!(notify::queued(&kv, 10).unwrap().is_empty());
}

/// A notification written by an act that never committed is neither shown nor sent.
#[test]
fn a_notification_of_an_act_that_did_not_commit_is_never_seen() {
    // The request fails at its claim (the commit point): the notification was written before.
    let mut n = 0;
    loop {
        let kv2 = MemoryKv::new();
        let f = avisos_kv::faults::Faults::new();
        f.fail_after(n);
        solicitar(&avisos_kv::faults::FaultyKv::new(&kv2, f));
        if !notify::queued(&kv2, 10).unwrap().is_empty()
            && current(&kv2, &session(DEV, Role::Desarrollador)).is_err()
        {
            assert!(
                notify::inbox(&kv2, DEV, 1)
                    .unwrap()
                    .notificaciones
                    .is_empty()
            );
            let sent = AtomicUsize::new(0);
            let send = |_m: MailRequest| {
                sent.fetch_add(1, Ordering::SeqCst);
                async { Ok(202) }
            };
            futures::executor::block_on(notify::deliver(
                &kv2,
                Some(&config()),
                &[],
                5,
                now(),
                |_| None,
                send,
            ))
            .unwrap();
            assert_eq!(sent.load(Ordering::SeqCst), 0);
            // Clearly abandoned: it leaves the queue.
            let later = now() + Duration::seconds(notify::UNCONFIRMED_GRACE_SECONDS + 1);
            futures::executor::block_on(notify::deliver(
                &kv2,
                Some(&config()),
                &[],
                5,
                later,
                |_| None,
                send,
            ))
            .unwrap();
            assert!(notify::queued(&kv2, 10).unwrap().is_empty());
            assert_eq!(sent.load(Ordering::SeqCst), 0);
            break;
        }
        n += 1;
        assert!(n < 100, "no step between the notification and the commit");
    }
}
