//! Throttling of wrong service passwords per (developer, employer).
//!
//! Fixed windows of [`WINDOW_SECONDS`]: the counter `avisos:intentos:<developer>:<employer>:<window>`
//! counts the window's wrong passwords. A locked pair ([`MAX_FAILURES`] counted) is refused with
//! 429 and `Retry-After` (the rest of the window) before anything else ([`check`]), even with
//! the right password. A password that must be checked with Argon2id first **reserves** an
//! attempt with an atomic `increment` ([`reserve`]; no read-modify-write, so concurrent guesses
//! cannot slip past the limit); a correct password (or a check that could not happen) gives its
//! reservation back with `increment(-1)`, a wrong one keeps it. Passwords that match the
//! remembered fingerprint (see [`crate::acceso`]) never reserve: a guess never matches it, so
//! a payroll system's parallel requests with the right password cannot trip the limit. Counters
//! are per pair: a correct password never clears anyone's count, and one developer's guesses
//! never lock out another developer.

use avisos_http::ApiError;
use avisos_kv::KeyValue;
use chrono::{DateTime, Utc};

use crate::acceso::Refusal;

pub const WINDOW_SECONDS: i64 = 15 * 60;
pub const MAX_FAILURES: i64 = 5;

fn key(desarrollador: &str, patron: &str, window: i64) -> String {
    format!(
        "avisos:intentos:{}:{}:{window}",
        desarrollador.to_uppercase(),
        patron.to_uppercase()
    )
}

/// A reserved attempt.
#[must_use]
pub struct Attempt {
    key: String,
}

impl Attempt {
    /// Gives the reservation back (the attempt was not a failure).
    pub fn release(self, kv: &dyn KeyValue) {
        // Best effort: a lost release counts one failure too many, never one too few.
        let _ = kv.increment(&self.key, -1);
    }
}

fn locked(window: i64, t: i64) -> Refusal {
    let retry = (window + 1) * WINDOW_SECONDS - t;
    let minutes = (retry + 59) / 60;
    Refusal {
        error: ApiError::new(
            429,
            "INTENTOS_EXCEDIDOS",
            format!(
                "Se registraron {MAX_FAILURES} intentos con contraseña incorrecta para este patrón en los últimos 15 minutos. Intenta de nuevo en {minutes} minuto(s)."
            ),
        ),
        retry_after: Some(retry.max(1) as u64),
    }
}

/// Refuses while the pair is locked (checked before anything else, even a correct password).
pub fn check(
    kv: &dyn KeyValue,
    desarrollador: &str,
    patron: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let t = now.timestamp();
    let window = t.div_euclid(WINDOW_SECONDS);
    // Counters are read with a zero increment (their encoding is the store's).
    let n = kv
        .increment(&key(desarrollador, patron, window), 0)
        .map_err(ApiError::from)?;
    if n >= MAX_FAILURES {
        return Err(locked(window, t));
    }
    Ok(())
}

/// Reserves an attempt before a password is checked the slow way.
pub fn reserve(
    kv: &dyn KeyValue,
    desarrollador: &str,
    patron: &str,
    now: DateTime<Utc>,
) -> Result<Attempt, Refusal> {
    let t = now.timestamp();
    let window = t.div_euclid(WINDOW_SECONDS);
    let k = key(desarrollador, patron, window);
    let n = kv.increment(&k, 1).map_err(ApiError::from)?;
    if n > MAX_FAILURES {
        // Over the limit: this request is refused whatever its password; undo its reservation
        // so the count stays the number of real failures.
        let _ = kv.increment(&k, -1);
        return Err(locked(window, t));
    }
    Ok(Attempt { key: k })
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn five_failures_lock_the_pair_until_the_window_ends() {
        let kv = MemoryKv::new();
        let now: DateTime<Utc> = "2026-11-23T18:05:00Z".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            let _kept = reserve(&kv, "DEV", "PAT", now).unwrap();
        }
        let r = check(&kv, "DEV", "PAT", now).err().unwrap();
        assert_eq!(r.error.status, 429);
        let r = reserve(&kv, "DEV", "PAT", now).err().unwrap();
        assert_eq!(r.error.status, 429);
        // 18:05 is 5 minutes into the 18:00-18:15 window.
        assert_eq!(r.retry_after, Some(600));
        // Other pairs are not affected; a success elsewhere clears nothing here.
        reserve(&kv, "DEV2", "PAT", now).unwrap().release(&kv);
        reserve(&kv, "DEV", "PAT2", now).unwrap().release(&kv);
        assert!(reserve(&kv, "DEV", "PAT", now).is_err());
        assert!(check(&kv, "DEV2", "PAT", now).is_ok());
        // The next window starts clean.
        let later = now + chrono::Duration::seconds(600);
        reserve(&kv, "DEV", "PAT", later).unwrap().release(&kv);
    }

    #[test]
    fn released_attempts_do_not_count() {
        let kv = MemoryKv::new();
        let now: DateTime<Utc> = "2026-11-23T18:05:00Z".parse().unwrap();
        for _ in 0..20 {
            reserve(&kv, "DEV", "PAT", now).unwrap().release(&kv);
        }
        for _ in 0..MAX_FAILURES {
            let _kept = reserve(&kv, "DEV", "PAT", now).unwrap();
        }
        assert!(reserve(&kv, "DEV", "PAT", now).is_err());
    }
}
