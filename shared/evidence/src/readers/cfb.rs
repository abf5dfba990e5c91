//! A structural check of an .xls container (Compound File Binary, MS-CFB) before our BIFF
//! reader (`xls`) reads its "Workbook" stream. A truncated sector or a chain pointing past the
//! FAT made calamine panic (found by `fuzz/`), and in a component a panic aborts the instance
//! instead of answering the developer. So every table and chain is walked here first, bounded
//! and without reading anything twice: the DIFAT, the FAT sectors, the directory chain, the
//! mini FAT, the mini stream, and each stream's chain. Like `xls`, this module cannot panic:
//! the lints of `readers` make clippy refuse indexing, unchecked arithmetic (a sector id times the
//! sector size overflows a 32-bit `usize` in wasm) and unwraps.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;
/// Ids at or above this are markers (DIFSECT, FATSECT, ENDOFCHAIN, FREESECT), not sectors.
const MAXREGSECT: u32 = 0xFFFF_FFFA;
const MINI_SECTOR: usize = 64;
const MINI_CUTOFF: u64 = 4096;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Sector `id`'s bytes: sector 0 follows the header, which takes one sector.
fn sector(bytes: &[u8], sector_size: usize, id: u32) -> Option<&[u8]> {
    let index = usize::try_from(id).ok()?.checked_add(1)?;
    let start = index.checked_mul(sector_size)?;
    bytes.get(start..start.checked_add(sector_size)?)
}

/// A table's little-endian u32 entries.
fn entries(data: &[u8]) -> impl Iterator<Item = u32> + '_ {
    data.chunks_exact(4)
        .filter_map(|c| Some(u32::from_le_bytes(c.try_into().ok()?)))
}

/// Follows a chain from `start` in `table`: every id a real entry below `limit`, no loop.
/// Returns the ids visited.
fn walk(start: u32, table: &[u32], limit: usize) -> Option<Vec<u32>> {
    let mut ids = Vec::new();
    let mut id = start;
    while id != ENDOFCHAIN {
        let index = usize::try_from(id).ok()?;
        if id >= MAXREGSECT || index >= limit {
            return None;
        }
        ids.push(id);
        if ids.len() > limit {
            return None;
        }
        id = *table.get(index)?;
    }
    Some(ids)
}

/// True when the container's tables and chains are consistent (see the module docs).
#[cfg(test)]
pub fn is_sane(bytes: &[u8]) -> bool {
    parse(bytes).is_some()
}

/// A container whose tables were checked.
pub struct Container<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    ministream: Vec<u8>,
    /// (name, start, size, in the mini stream)
    streams: Vec<(String, u32, u64, bool)>,
}

impl Container<'_> {
    /// A stream's bytes by name (case-insensitive), e.g. "Workbook".
    pub fn stream(&self, name: &str) -> Option<Vec<u8>> {
        let (_, start, size, mini) = self
            .streams
            .iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(name))?;
        let size = usize::try_from(*size).ok()?;
        // `parse` checked that the chain holds `size` bytes, so this is at most the file.
        let mut out = Vec::with_capacity(size);
        if *mini {
            for id in walk(*start, &self.mini_fat, self.ministream.len() / MINI_SECTOR)? {
                let at = usize::try_from(id).ok()?.checked_mul(MINI_SECTOR)?;
                out.extend_from_slice(self.ministream.get(at..at.checked_add(MINI_SECTOR)?)?);
            }
        } else {
            let limit = self
                .bytes
                .len()
                .checked_div(self.sector_size)?
                .checked_sub(1)?;
            for id in walk(*start, &self.fat, limit)? {
                out.extend_from_slice(sector(self.bytes, self.sector_size, id)?);
            }
        }
        out.truncate(size);
        Some(out)
    }
}

pub fn parse(bytes: &[u8]) -> Option<Container<'_>> {
    let major = u16_at(bytes, 0x1A)?;
    let shift = u16_at(bytes, 0x1E)?;
    let sector_size: usize = match (major, shift) {
        (3, 9) => 512,
        (4, 12) => 4096,
        _ => return None,
    };
    if u16_at(bytes, 0x1C)? != 0xFFFE || u16_at(bytes, 0x20)? != 6 {
        return None;
    }
    // Whole sectors only: the header occupies the first sector.
    if bytes.len() < sector_size || !bytes.len().is_multiple_of(sector_size) {
        return None;
    }
    let n_sectors = bytes.len().checked_div(sector_size)?.checked_sub(1)?;
    let sector = |id: u32| sector(bytes, sector_size, id);

    let fat = read_fat(bytes, sector_size, n_sectors)?;
    if fat.is_empty() {
        return None;
    }

    // Directory chain, then its entries.
    let dir_ids = walk(u32_at(bytes, 0x30)?, &fat, n_sectors)?;
    let mut dir = Vec::with_capacity(dir_ids.len().checked_mul(sector_size)?);
    for id in dir_ids {
        dir.extend_from_slice(sector(id)?);
    }
    let root = dir.get(0..128)?;
    let size_of = |entry: &[u8]| -> Option<u64> {
        if major == 3 {
            u32_at(entry, 0x78).map(u64::from)
        } else {
            u64_at(entry, 0x78)
        }
    };

    // Mini FAT and mini stream (the root entry's stream).
    let mini_fat_ids = match u32_at(bytes, 0x3C)? {
        ENDOFCHAIN | FREESECT => Vec::new(),
        start => walk(start, &fat, n_sectors)?,
    };
    let mut mini_fat = Vec::new();
    for id in mini_fat_ids {
        mini_fat.extend(entries(sector(id)?));
    }
    let root_start = u32_at(root, 0x74)?;
    let mut ministream = Vec::new();
    if root_start != ENDOFCHAIN && root_start != FREESECT {
        for id in walk(root_start, &fat, n_sectors)? {
            ministream.extend_from_slice(sector(id)?);
        }
    }
    let mini_limit = ministream.len() / MINI_SECTOR;
    let streams = stream_entries(
        &dir,
        size_of,
        &fat,
        &mini_fat,
        n_sectors,
        mini_limit,
        sector_size,
    )?;
    Some(Container {
        bytes,
        sector_size,
        fat,
        mini_fat,
        ministream,
        streams,
    })
}

/// The FAT, from the DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
fn read_fat(bytes: &[u8], sector_size: usize, n_sectors: usize) -> Option<Vec<u32>> {
    let sector = |id: u32| sector(bytes, sector_size, id);
    let mut difat: Vec<u32> = entries(bytes.get(0x4C..0x200)?).collect();
    let mut next = u32_at(bytes, 0x44)?;
    let mut hops = 0usize;
    while next < MAXREGSECT {
        hops = hops.checked_add(1)?;
        if hops > n_sectors.checked_add(1)? {
            return None;
        }
        let mut more: Vec<u32> = entries(sector(next)?).collect();
        next = more.pop()?;
        difat.extend(more);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < MAXREGSECT) {
        fat.extend(entries(sector(id)?));
    }
    Some(fat)
}

/// Every stream's (name, start, size, in the mini stream), its chain checked in the table it
/// is read through.
fn stream_entries(
    dir: &[u8],
    size_of: impl Fn(&[u8]) -> Option<u64>,
    fat: &[u32],
    mini_fat: &[u32],
    n_sectors: usize,
    mini_limit: usize,
    sector_size: usize,
) -> Option<Vec<(String, u32, u64, bool)>> {
    let mut streams = Vec::new();
    for entry in dir.chunks_exact(128) {
        if entry.get(0x42) != Some(&2) {
            continue;
        }
        let size = size_of(entry)?;
        let start = u32_at(entry, 0x74)?;
        if size == 0 {
            continue;
        }
        let chain = if size < MINI_CUTOFF {
            walk(start, mini_fat, mini_limit)?
                .len()
                .checked_mul(MINI_SECTOR)?
        } else {
            walk(start, fat, n_sectors)?
                .len()
                .checked_mul(sector_size)?
        };
        if (chain as u64) < size {
            return None;
        }
        let name_len = usize::from(u16_at(entry, 0x40)?).min(64);
        let units: Vec<u16> = entry
            .get(..name_len)?
            .chunks_exact(2)
            .filter_map(|c| Some(u16::from_le_bytes(c.try_into().ok()?)))
            .take_while(|u| *u != 0)
            .collect();
        streams.push((
            String::from_utf16_lossy(&units),
            start,
            size,
            size < MINI_CUTOFF,
        ));
    }
    Some(streams)
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::expect_used
)]
mod tests {
    use super::*;

    const XLS: &[u8] = include_bytes!("../../testdata/evidencias.xls");

    #[test]
    fn the_fixture_is_sane() {
        assert!(is_sane(XLS));
    }

    #[test]
    fn a_crafted_container_gives_back_its_stream() {
        // One FAT sector, then two (100 KB needs 200 sectors of 512 bytes).
        for (len, padded) in [(5000u32, 5120), (100_000, 100_352)] {
            let stream: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let container = crate::sample::xls_from_stream(&stream);
            let parsed = parse(&container).expect("sane");
            let mut want = stream.clone();
            want.resize(padded, 0);
            assert_eq!(parsed.stream("workbook"), Some(want), "{len}");
        }
    }

    #[test]
    fn truncated_or_pointing_out_is_not() {
        assert!(!is_sane(&XLS[..XLS.len() - 2]));
        assert!(!is_sane(&XLS[..512]));
        assert!(!is_sane(&[]));
        // The directory's first sector pointing past the file.
        let mut bad = XLS.to_vec();
        bad[0x30..0x34].copy_from_slice(&0x7FFF_u32.to_le_bytes());
        assert!(!is_sane(&bad));
        // A FAT entry looping the directory chain onto itself.
        let mut looped = XLS.to_vec();
        let dir = u32_at(XLS, 0x30).expect("dir") as usize;
        let fat0 = u32_at(XLS, 0x4C).expect("fat") as usize;
        let at = (fat0 + 1) * 512 + dir * 4;
        looped[at..at + 4].copy_from_slice(&(dir as u32).to_le_bytes());
        assert!(!is_sane(&looped));
    }
}
