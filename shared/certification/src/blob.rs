//! Uploaded workbooks, stored in chunks: some key-value backends limit a value's size, and a
//! workbook may be 5 MiB.

use avisos_kv::KeyValue;

use crate::error::CertificationError;

/// Largest chunk.
pub const CHUNK_BYTES: usize = 512 * 1024;

fn chunk_key(prefix: &str, n: u32) -> String {
    format!("{prefix}:{n}")
}

/// The key prefix of one upload: `certificacion:evidencia:<folio>:<ronda>:<carga>`.
pub fn prefix(folio: &str, ronda: u32, carga: &str) -> String {
    format!("certificacion:evidencia:{folio}:{ronda}:{carga}")
}

/// Writes `bytes` in chunks; returns how many.
pub fn write(kv: &dyn KeyValue, prefix: &str, bytes: &[u8]) -> Result<u32, CertificationError> {
    let mut n = 0u32;
    for chunk in bytes.chunks(CHUNK_BYTES) {
        kv.set(&chunk_key(prefix, n), chunk)?;
        n += 1;
    }
    Ok(n)
}

/// Reads the chunks back; a missing chunk is an internal fault.
pub fn read(kv: &dyn KeyValue, prefix: &str, chunks: u32) -> Result<Vec<u8>, CertificationError> {
    let mut out = Vec::new();
    for n in 0..chunks {
        let part = kv
            .get(&chunk_key(prefix, n))?
            .ok_or_else(|| CertificationError::internal("missing evidence chunk"))?;
        out.extend_from_slice(&part);
    }
    Ok(out)
}

/// Removes the chunks of an upload that did not take effect.
pub fn delete(kv: &dyn KeyValue, prefix: &str, chunks: u32) {
    for n in 0..chunks {
        // Best effort: an orphan chunk is unreachable, never wrong.
        let _ = kv.delete(&chunk_key(prefix, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn round_trip_in_bounded_chunks() {
        let kv = MemoryKv::new();
        let data: Vec<u8> = (0..(CHUNK_BYTES * 2 + 10))
            .map(|i| (i % 251) as u8)
            .collect();
        let p = prefix("0500000001", 1, "abc");
        let n = write(&kv, &p, &data).unwrap();
        assert_eq!(n, 3);
        for i in 0..n {
            assert!(kv.get(&format!("{p}:{i}")).unwrap().unwrap().len() <= CHUNK_BYTES);
        }
        assert_eq!(read(&kv, &p, n).unwrap(), data);
        delete(&kv, &p, n);
        assert_eq!(
            read(&kv, &p, n).unwrap_err(),
            CertificationError::Internal("missing evidence chunk".into())
        );
    }
}
