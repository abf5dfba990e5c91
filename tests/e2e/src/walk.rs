//! The fault walk end to end (issue 15, item 6): an act sent to the real components on the host,
//! the host's store failing at its n-th operation for every n (`avisos_host::kv::Faults`,
//! without effect or with its answer lost), what the API shows checked to be exactly as before
//! the act or exactly as after it, then a retry by the client that must end exactly as after.
//!
//! Every attempt starts from the same store: [`Snapshot`] copies the whole `default` store
//! (every key, envelopes and counters as stored) and puts it back, on SQLite and on Redis.

use std::collections::BTreeMap;

use avisos_host::TestClock;
use avisos_host::kv::{Faults, KvBackend};
use avisos_host::testing::{TestApp, TestResponse};
use serde_json::Value;

fn backend(app: &TestApp) -> std::sync::Arc<dyn KvBackend> {
    app.app()
        .and_then(|a| a.stores().get("default").cloned())
        .expect("the app has a default store")
}

/// Every key and value of an app's `default` store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<String, Vec<u8>>);

impl Snapshot {
    pub fn take(app: &TestApp) -> Snapshot {
        let b = backend(app);
        let keys = b.get_keys("default").expect("keys");
        Snapshot(
            b.get_many("default", &keys)
                .expect("values")
                .into_iter()
                .collect(),
        )
    }

    /// Puts the store back as it was (keys written since are deleted).
    pub fn restore(&self, app: &TestApp) {
        let b = backend(app);
        let extra: Vec<String> = b
            .get_keys("default")
            .expect("keys")
            .into_iter()
            .filter(|k| !self.0.contains_key(k))
            .collect();
        if !extra.is_empty() {
            b.delete_many("default", &extra).expect("delete");
        }
        let entries: Vec<(String, Vec<u8>)> =
            self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        b.set_many("default", &entries).expect("restore");
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Which failure the walk injects (the host's two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The n-th operation and every later one fail without effect.
    FailAfter,
    /// The n-th operation takes effect, its answer is lost, every later one fails.
    LoseAnswer,
}

impl Fault {
    pub const BOTH: [Fault; 2] = [Fault::FailAfter, Fault::LoseAnswer];

    pub fn arm(self, faults: &Faults, n: usize) {
        let n = u32::try_from(n).expect("few operations");
        match self {
            Fault::FailAfter => faults.fail_after(n),
            Fault::LoseAnswer => faults.lose_answer_after(n),
        }
    }
}

/// Ten-digit numbers (folios, notification ids) as `#`, instants as their date, and the
/// members named in `drop` removed at any depth: a retry allocates new folios, and runs a
/// little later.
pub fn normalize(v: Value, drop: &[&str]) -> Value {
    match v {
        Value::String(s) => Value::String(normalize_text(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| normalize(x, drop)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, x)| (k, normalize(x, drop)))
                .collect(),
        ),
        other => other,
    }
}

fn normalize_text(s: &str) -> String {
    // `2026-11-23T10:00:00-06:00` → `2026-11-23`.
    let b = s.as_bytes();
    if b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
    {
        return s[..10].to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 10 {
            out.push('#');
        } else {
            out.extend(&chars[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    out
}

/// What a walk covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    /// Fault points: each store operation of the uninterrupted act, once per kind of fault.
    pub points: usize,
    /// Interrupted attempts the API showed as done (the store failed after the commit point).
    pub after_commit: usize,
}

/// A walk over one act. `sessions` logs in what the rest needs (run after every restore: the
/// clock may have moved); `act` prepares its request (nonce, signature: not walked) and calls
/// `arm` right before sending it; `observe` reads what the API shows; `retry` is the client
/// trying again after a failure, again later ([`until_not_busy`]) while told to wait.
pub struct Walk<'a> {
    pub app: &'a TestApp,
    pub faults: &'a Faults,
    pub clock: &'a TestClock,
}

impl Walk<'_> {
    /// Walks each of `kinds` over every store operation of `act`, every attempt from the store
    /// as it was before the act. Leaves the app as after the act (and its retry).
    pub fn run<S>(
        &self,
        kinds: &[Fault],
        sessions: impl Fn(&TestApp) -> S,
        act: impl Fn(&TestApp, &S, &dyn Fn()) -> TestResponse,
        observe: impl Fn(&TestApp, &S) -> Value,
        retry: impl Fn(&TestApp, &S) -> TestResponse,
    ) -> Walked {
        let app = self.app;
        self.faults.heal();
        // Every run, the reference one included, starts from `base` with fresh sessions:
        // reads leave traces (rate-limit windows, audit entries) that would change the act's
        // operations.
        let base = Snapshot::take(app);
        let s = sessions(app);
        let before = observe(app, &s);
        base.restore(app);
        let s = sessions(app);
        let r = act(app, &s, &|| self.faults.heal());
        let points = self.faults.operations() as usize;
        assert!(
            (200..300).contains(&r.status),
            "the uninterrupted act failed: {} {}",
            r.status,
            r.text()
        );
        let after = observe(app, &s);
        assert_ne!(before, after, "the act changed nothing the API shows");
        assert!(points > 0);
        let mut after_commit = 0;
        let mut walked = 0;
        for fault in kinds {
            // Until the act runs whole before the fault is reached (its operations may vary
            // slightly from the reference run's once a retry moved the clock on).
            let mut n = 0;
            loop {
                base.restore(app);
                let s = sessions(app);
                let r = act(app, &s, &|| fault.arm(self.faults, n));
                let seen_ops = self.faults.operations() as usize;
                self.faults.heal();
                if seen_ops <= n {
                    assert!(
                        (200..300).contains(&r.status),
                        "{fault:?}: the act without a fault answered {} {}",
                        r.status,
                        r.text()
                    );
                    assert_eq!(
                        observe(app, &s),
                        after,
                        "{fault:?}: the act without a fault"
                    );
                    break;
                }
                if !(200..300).contains(&r.status) {
                    assert_eq!(
                        (r.status, r.json::<Value>()["codigo"].clone()),
                        (503, Value::from("ALMACEN_NO_DISPONIBLE")),
                        "{fault:?} at operation {n}: {}",
                        r.text()
                    );
                    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
                }
                let seen = observe(app, &s);
                if std::env::var_os("AVISOS_WALK_TRACE").is_some() {
                    let side = if seen == after { "after" } else { "before" };
                    eprintln!(
                        "{fault:?} at {n}: {} after {seen_ops} operations → {side}",
                        r.status
                    );
                }
                if seen == after {
                    after_commit += 1;
                } else {
                    assert_eq!(
                        seen, before,
                        "{fault:?} at operation {n}: neither before nor after"
                    );
                }
                let r = until_not_busy(self.clock, || retry(app, &s));
                assert!(
                    (200..300).contains(&r.status) || r.status == 409,
                    "{fault:?} at operation {n}: the retry answered {} {}",
                    r.status,
                    r.text()
                );
                assert_eq!(
                    observe(app, &s),
                    after,
                    "{fault:?} at operation {n}: the retry did not end as the act"
                );
                n += 1;
                assert!(n < 4 * points + 20, "{fault:?}: the act never ran whole");
            }
            walked += n;
        }
        // The store as the act left it (the last attempt ran whole).
        Walked {
            points: walked,
            after_commit,
        }
    }
}

/// Sends `send` again, moving `clock` on, while the answer says another attempt is still
/// holding what it needs (a creation interrupted by a store failure blocks its key for up to
/// two minutes, `avisos_kv::CheckedKv`).
pub fn until_not_busy(clock: &TestClock, send: impl Fn() -> TestResponse) -> TestResponse {
    for _ in 0..4 {
        let r = send();
        let text = r.text();
        let busy = (r.status == 409
            && (text.contains("unos minutos") || text.contains("en este momento")))
            || (r.status == 503 && text.contains("_OCUPADO"));
        if !busy {
            return r;
        }
        if std::env::var_os("AVISOS_WALK_TRACE").is_some() {
            eprintln!("busy, later: {text}");
        }
        clock.advance(std::time::Duration::from_secs(150));
    }
    send()
}
