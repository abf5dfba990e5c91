//! Throttling of wrong service passwords per (developer, employer).
//!
//! Fixed windows of [`WINDOW_SECONDS`], two counters per pair and window:
//! `avisos:intentos:<developer>:<employer>:<window>` counts the window's **wrong** passwords, and
//! `avisos:verificando:<developer>:<employer>:<window>` the checks **in flight**. A locked pair
//! ([`MAX_FAILURES`] wrong passwords counted) is refused with `INTENTOS_EXCEDIDOS` and the
//! seconds to wait (the rest of the window; the portal sends them as `Retry-After`) before
//! anything else ([`check`]), even with the right password.
//!
//! A password whose answer could be a guess's **reserves** a check with an atomic `increment` of
//! the in-flight counter ([`reserve`]; no read-modify-write, so concurrent guesses cannot slip
//! past the limit) before that answer is given: a wrong one (the HMAC said so in microseconds)
//! and one still stored with Argon2id (before its slow hash, see [`crate::acceso`]). A wrong
//! password is counted as a failure *before* its reservation is given back, so failures plus
//! checks in flight never exceed `MAX_FAILURES + MAX_IN_FLIGHT`: at most that many wrong
//! passwords per window are ever answered, against a secret of ~116 bits. Checks in flight are
//! not failures: a payroll system that opens up to [`MAX_IN_FLIGHT`] connections with the right
//! password is served on all of them (a right HMAC-stored password never reserves); one more
//! wrong or slow check at that very moment gets `VERIFICACIONES_SIMULTANEAS`, to retry in a
//! second, never the lock. Counters are per pair: a correct password never clears anyone's
//! count, and one developer's guesses never lock out another developer.
//!
//! Counters are read without creating them, and a window's two counters are registered to
//! expire when it ends (`avisos_kv::expiring`) by the reservation that finds no check in flight,
//! so consultations leave no counter behind.

use avisos_kv::{KeyValue, expiring};
use chrono::{DateTime, Utc};

use crate::AvisosError;

pub const WINDOW_SECONDS: i64 = 15 * 60;
pub const MAX_FAILURES: i64 = 5;
/// Reserved checks of one pair at once.
pub const MAX_IN_FLIGHT: i64 = 16;

fn key(kind: &str, desarrollador: &str, patron: &str, window: i64) -> String {
    format!(
        "avisos:{kind}:{}:{}:{window}",
        desarrollador.to_uppercase(),
        patron.to_uppercase()
    )
}

/// A reserved check.
#[must_use]
pub struct Attempt {
    failures: String,
    in_flight: String,
}

impl Attempt {
    /// The password was right (or could not be checked): the reservation is given back.
    pub fn release(self, kv: &dyn KeyValue) {
        // Best effort: a lost release keeps a slot busy until the window ends.
        let _ = kv.increment(&self.in_flight, -1);
    }

    /// The password was wrong: counted as a failure, then the reservation is given back.
    pub fn fail(self, kv: &dyn KeyValue) {
        // The failure first, so failures + checks in flight never drop below the truth.
        let _ = kv.increment(&self.failures, 1);
        let _ = kv.increment(&self.in_flight, -1);
    }
}

/// Seconds a client told [`AvisosError::ChecksInFlight`] waits.
const BUSY_RETRY_SECONDS: u32 = 1;

fn locked(window: i64, t: i64) -> AvisosError {
    // The rest of the window: at least 1 and at most WINDOW_SECONDS, so it fits.
    let retry = ((window + 1) * WINDOW_SECONDS - t).max(1);
    AvisosError::AttemptsExceeded {
        retry_after: u32::try_from(retry).unwrap_or(u32::MAX),
    }
}

fn busy() -> AvisosError {
    AvisosError::ChecksInFlight {
        retry_after: BUSY_RETRY_SECONDS,
    }
}

/// Refuses while the pair is locked (checked before anything else, even a correct password).
pub fn check(
    kv: &dyn KeyValue,
    desarrollador: &str,
    patron: &str,
    now: DateTime<Utc>,
) -> Result<(), AvisosError> {
    let t = now.timestamp();
    let window = t.div_euclid(WINDOW_SECONDS);
    // Read without creating it: most consultations never fail a password.
    let n =
        expiring::read_counter(kv, &key("intentos", desarrollador, patron, window))?.unwrap_or(0);
    if n >= MAX_FAILURES {
        return Err(locked(window, t));
    }
    Ok(())
}

/// Reserves a check before a password is verified the slow way.
pub fn reserve(
    kv: &dyn KeyValue,
    desarrollador: &str,
    patron: &str,
    now: DateTime<Utc>,
) -> Result<Attempt, AvisosError> {
    let t = now.timestamp();
    let window = t.div_euclid(WINDOW_SECONDS);
    let attempt = Attempt {
        failures: key("intentos", desarrollador, patron, window),
        in_flight: key("verificando", desarrollador, patron, window),
    };
    let in_flight = kv.increment(&attempt.in_flight, 1)?;
    if in_flight == 1 {
        // The first check of the window (or the first after a quiet spell: registering twice
        // only costs a slot). Best effort: an unregistered counter is one leftover key.
        let ends = (window + 1) * WINDOW_SECONDS;
        let keys = [attempt.in_flight.as_str(), attempt.failures.as_str()];
        let _ = expiring::expire(kv, &keys, ends, t);
    }
    let failures = match expiring::read_counter(kv, &attempt.failures) {
        Ok(n) => n.unwrap_or(0),
        Err(e) => {
            attempt.release(kv);
            return Err(e.into());
        }
    };
    if failures >= MAX_FAILURES {
        attempt.release(kv);
        return Err(locked(window, t));
    }
    if in_flight > MAX_IN_FLIGHT {
        attempt.release(kv);
        return Err(busy());
    }
    Ok(attempt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    fn now() -> DateTime<Utc> {
        "2026-11-23T18:05:00Z".parse().unwrap()
    }

    #[test]
    fn five_failures_lock_the_pair_until_the_window_ends() {
        let kv = MemoryKv::new();
        for _ in 0..MAX_FAILURES {
            reserve(&kv, "DEV", "PAT", now()).unwrap().fail(&kv);
        }
        let r = check(&kv, "DEV", "PAT", now()).err().unwrap();
        assert_eq!(r.codigo(), "INTENTOS_EXCEDIDOS");
        let r = reserve(&kv, "DEV", "PAT", now()).err().unwrap();
        assert_eq!(r.codigo(), "INTENTOS_EXCEDIDOS");
        // 18:05 is 5 minutes into the 18:00-18:15 window.
        assert_eq!(r.retry_after(), Some(600));
        assert!(
            r.mensaje().ends_with("Intenta de nuevo en 10 minuto(s)."),
            "{r}"
        );
        // Other pairs are not affected; a success elsewhere clears nothing here.
        reserve(&kv, "DEV2", "PAT", now()).unwrap().release(&kv);
        reserve(&kv, "DEV", "PAT2", now()).unwrap().release(&kv);
        assert!(reserve(&kv, "DEV", "PAT", now()).is_err());
        assert!(check(&kv, "DEV2", "PAT", now()).is_ok());
        // The next window starts clean.
        let later = now() + chrono::Duration::seconds(600);
        reserve(&kv, "DEV", "PAT", later).unwrap().release(&kv);
    }

    #[test]
    fn released_attempts_do_not_count() {
        let kv = MemoryKv::new();
        for _ in 0..20 {
            reserve(&kv, "DEV", "PAT", now()).unwrap().release(&kv);
        }
        for _ in 0..MAX_FAILURES {
            reserve(&kv, "DEV", "PAT", now()).unwrap().fail(&kv);
        }
        assert!(reserve(&kv, "DEV", "PAT", now()).is_err());
    }

    /// Checks in flight are not failures: a burst of right passwords on a cold cache is served
    /// up to MAX_IN_FLIGHT at once, and one more is told to retry in a second, not locked.
    #[test]
    fn a_burst_of_checks_in_flight_is_not_a_lock() {
        let kv = MemoryKv::new();
        let held: Vec<Attempt> = (0..MAX_IN_FLIGHT)
            .map(|_| reserve(&kv, "DEV", "PAT", now()).unwrap())
            .collect();
        assert!(check(&kv, "DEV", "PAT", now()).is_ok());
        let r = reserve(&kv, "DEV", "PAT", now()).err().unwrap();
        assert_eq!(r.codigo(), "VERIFICACIONES_SIMULTANEAS");
        assert_eq!(r.retry_after(), Some(1));
        for a in held {
            a.release(&kv);
        }
        reserve(&kv, "DEV", "PAT", now()).unwrap().release(&kv);
    }

    /// Checking writes nothing, and a window's counters are gone once later checks swept them.
    #[test]
    fn counters_are_not_created_by_reading_and_expire_with_their_window() {
        let kv = MemoryKv::new();
        check(&kv, "DEV", "PAT", now()).unwrap();
        assert!(kv.is_empty(), "a check of a clean pair writes nothing");
        reserve(&kv, "DEV", "PAT", now()).unwrap().fail(&kv);
        let window = now().timestamp().div_euclid(WINDOW_SECONDS);
        assert!(kv.exists(&key("intentos", "DEV", "PAT", window)).unwrap());
        // An hour later, other pairs' checks sweep the old window away.
        let later = now() + chrono::Duration::hours(1);
        for i in 0..4 {
            reserve(&kv, "DEV", &format!("OTRO{i}"), later)
                .unwrap()
                .release(&kv);
        }
        for kind in ["intentos", "verificando"] {
            assert!(
                !kv.exists(&key(kind, "DEV", "PAT", window)).unwrap(),
                "{kind}"
            );
        }
    }

    /// Concurrent wrong guesses never get more checks than failures + slots allow.
    #[test]
    fn concurrent_guesses_are_bounded() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let checked = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (kv, checked) = (kv.clone(), checked.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        if let Ok(a) = reserve(kv.as_ref(), "DEV", "PAT", now()) {
                            checked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            a.fail(kv.as_ref());
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = checked.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            n <= MAX_FAILURES + MAX_IN_FLIGHT,
            "{n} wrong passwords checked"
        );
        assert!(check(kv.as_ref(), "DEV", "PAT", now()).is_err());
    }
}
