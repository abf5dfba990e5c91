//! Folios (`No. de Caso`): 10-digit case numbers, unique under concurrency (one atomic counter).

use crate::ActError;
use avisos_kv::KeyValue;

const COUNTER: &str = "folio:secuencia";
/// Folios start here so they look like the institute's (`0501423481`) and stay 10 digits for
/// 9.5 billion acts.
const BASE: i64 = 500_000_000;

pub fn allocate(kv: &dyn KeyValue) -> Result<String, ActError> {
    let n = kv.increment(COUNTER, 1)?;
    Ok(format!("{:010}", BASE + n))
}

/// A folio as the API accepts it: exactly 10 ASCII digits.
pub fn is_well_formed(folio: &str) -> bool {
    folio.len() == 10 && folio.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn ten_digits_increasing() {
        let kv = MemoryKv::new();
        assert_eq!(allocate(&kv).unwrap(), "0500000001");
        assert_eq!(allocate(&kv).unwrap(), "0500000002");
        assert!(is_well_formed("0500000002"));
        assert!(!is_well_formed("500000002"));
        assert!(!is_well_formed("05000000a2"));
    }
}
