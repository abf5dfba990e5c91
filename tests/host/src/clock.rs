//! A wall clock tests can move (a host-only test facility; real Spin has none).
//!
//! The clock reads the real time plus an offset that the test changes while the app runs,
//! and is installed as the WASI wall clock of every component instance. Components see it
//! through `std::time::SystemTime` / `wasi:clocks/wall-clock`, so time-based rules (expiring
//! nonces, deadlines in business days) can be exercised over HTTP. Monotonic time is not
//! affected.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A shared, adjustable offset over the real wall clock. Cloning shares the offset.
#[derive(Clone, Debug, Default)]
pub struct TestClock {
    /// Offset in nanoseconds (may be negative).
    offset_nanos: Arc<AtomicI64>,
}

impl TestClock {
    /// A clock with no offset (reads the real time until moved).
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward (cumulative).
    pub fn advance(&self, by: Duration) {
        self.offset_nanos
            .fetch_add(saturating_nanos(by), Ordering::SeqCst);
    }

    /// Moves the clock backward (cumulative).
    pub fn rewind(&self, by: Duration) {
        self.offset_nanos
            .fetch_sub(saturating_nanos(by), Ordering::SeqCst);
    }

    /// Makes the clock read `at` now (and keep ticking from there).
    pub fn set_now(&self, at: SystemTime) {
        let real = SystemTime::now();
        let offset = match at.duration_since(real) {
            Ok(ahead) => saturating_nanos(ahead),
            Err(e) => -saturating_nanos(e.duration()),
        };
        self.offset_nanos.store(offset, Ordering::SeqCst);
    }

    /// Back to the real time.
    pub fn reset(&self) {
        self.offset_nanos.store(0, Ordering::SeqCst);
    }

    /// The current offset from the real time, in nanoseconds.
    pub fn offset_nanos(&self) -> i64 {
        self.offset_nanos.load(Ordering::SeqCst)
    }

    /// What the components see as "now".
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_nanos();
        let real = SystemTime::now();
        let magnitude = Duration::from_nanos(offset.unsigned_abs());
        if offset >= 0 {
            real + magnitude
        } else {
            real.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
        }
    }
}

fn saturating_nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// The clock as WASI sees it.
pub(crate) struct WasiTestClock(pub TestClock);

impl wasmtime_wasi::HostWallClock for WasiTestClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        self.0
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: SystemTime, b: SystemTime) -> bool {
        let d = a.duration_since(b).unwrap_or_else(|e| e.duration());
        d < Duration::from_secs(2)
    }

    #[test]
    fn moves_and_is_shared() {
        let clock = TestClock::new();
        let shared = clock.clone();
        assert!(close(clock.now(), SystemTime::now()));
        clock.advance(Duration::from_secs(86_400));
        assert!(close(
            shared.now(),
            SystemTime::now() + Duration::from_secs(86_400)
        ));
        shared.rewind(Duration::from_secs(2 * 86_400));
        assert!(close(
            clock.now(),
            SystemTime::now() - Duration::from_secs(86_400)
        ));
        let target = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        clock.set_now(target);
        assert!(close(shared.now(), target));
        clock.reset();
        assert_eq!(clock.offset_nanos(), 0);
    }
}
