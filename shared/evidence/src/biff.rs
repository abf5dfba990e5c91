//! A bound on what calamine allocates for an .xls before it opens it. calamine 0.38 parses every
//! sheet of a BIFF workbook when it opens the file and stores each as a dense grid spanning its
//! first to last cell (and reserves what the DIMENSIONS record declares): a 10 KB file with one
//! cell in A1 and one in IV65536 asks for gigabytes (found by `fuzz/`). This walks the same
//! records calamine will (the globals' BOUNDSHEET positions, then each sheet to its EOF, nested
//! substreams skipped) and refuses sheets whose area exceeds [`MAX_SHEET_CELLS`].

/// Largest area (rows × columns) a sheet may span or declare.
pub const MAX_SHEET_CELLS: u64 = 1_000_000;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// (type, data) records until the stream ends or a record overruns it.
fn records(mut stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let typ = u16_at(stream, 0)?;
        let len = u16_at(stream, 2)? as usize;
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        Some((typ, data))
    })
}

/// Records calamine 0.38 reads at fixed offsets without checking their length first (each
/// found or read off its source after the fuzzer's first finds): too short → refused.
fn record_ok(typ: u16, data: &[u8]) -> bool {
    let u16_at0 = || u16_at(data, 0).map_or(0, usize::from);
    match typ {
        // BOF, FilePass, CodePage, DateMode, ExternSheet: a u16 first.
        0x0809 | 0x002F | 0x0042 | 0x0022 | 0x0017 => data.len() >= 2,
        // BoundSheet8: position, state, type, then the name.
        0x0085 => data.len() >= 7,
        // Lbl: the formula (cce bytes) is taken from the record's end, after 14 fixed bytes.
        0x0018 => {
            data.len() >= 15
                && u16_at(data, 4).is_some_and(|cce| usize::from(cce) + 14 <= data.len())
        }
        // MergeCells: a count and 8 bytes per range.
        0x00E5 => data.len() >= 2 && 2 + u16_at0() * 8 <= data.len(),
        _ => true,
    }
}

/// True when every sheet starts inside the stream and its extent and declared dimensions stay within the limit.
pub fn within_limits(workbook: &[u8]) -> bool {
    let mut positions = Vec::new();
    for (typ, data) in records(workbook) {
        if !record_ok(typ, data) {
            return false;
        }
        match typ {
            0x0085 => positions.extend(u32_at(data, 0)),
            0x000A => break,
            _ => {}
        }
    }
    // A position past the stream makes calamine slice out of bounds (fuzz finding).
    positions.into_iter().all(|pos| {
        workbook
            .get(pos as usize..)
            .is_some_and(sheet_within_limits)
    })
}

fn area(rows: (u32, u32), cols: (u32, u32)) -> u64 {
    (u64::from(rows.1.saturating_sub(rows.0)) + 1) * (u64::from(cols.1.saturating_sub(cols.0)) + 1)
}

fn sheet_within_limits(sheet: &[u8]) -> bool {
    let mut rows = (u32::MAX, 0u32);
    let mut cols = (u32::MAX, 0u32);
    let mut seen = false;
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut note = |row: u32, col: u32| {
        seen = true;
        rows = (rows.0.min(row), rows.1.max(row));
        cols = (cols.0.min(col), cols.1.max(col));
    };
    for (typ, data) in records(sheet) {
        if !record_ok(typ, data) {
            return false;
        }
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => {
                // DIMENSIONS, as calamine reads it: it reserves (rows × columns) cells and
                // subtracts without checking (end before start underflows).
                let (rf, rl, cf, cl) = match data.len() {
                    10 => (
                        u16_at(data, 0).map(u32::from),
                        u16_at(data, 2).map(u32::from),
                        u16_at(data, 4).map(u32::from),
                        u16_at(data, 6).map(u32::from),
                    ),
                    14 | 16 => (
                        u32_at(data, 0),
                        u32_at(data, 4),
                        u16_at(data, 8).map(u32::from),
                        u16_at(data, 10).map(u32::from),
                    ),
                    _ => continue,
                };
                let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) else {
                    continue;
                };
                if 0xFF < cf || cl < cf {
                    cf = 0;
                }
                let (end_row, end_col) = if rl >= 1 && cl >= 1 {
                    (rl - 1, cl - 1)
                } else {
                    (rf, cf)
                };
                if end_row < rf
                    || end_col < cf
                    || area((rf, end_row), (cf, end_col)) > MAX_SHEET_CELLS
                {
                    return false;
                }
            }
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                    note(u32::from(r), u32::from(c));
                }
            }
            0x00BD => {
                // MULRK: row, first column, RK records, last column.
                let (Some(r), Some(first), Some(last)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    data.len().checked_sub(2).and_then(|at| u16_at(data, at)),
                ) else {
                    continue;
                };
                if last < first {
                    return false;
                }
                note(u32::from(r), u32::from(first));
                note(u32::from(r), u32::from(last));
            }
            _ => {}
        }
    }
    !seen || area(rows, cols) <= MAX_SHEET_CELLS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0; 10]);
        record(0x0203, &d)
    }

    fn workbook(cells: &[Vec<u8>]) -> Vec<u8> {
        // Globals: BOF, BOUNDSHEET → sheet, EOF; then the sheet.
        let mut globals = record(0x0809, &[0; 16]);
        let bound_len = 4 + 4 + 8;
        let eof = record(0x000A, &[]);
        let sheet_pos = (globals.len() + bound_len + eof.len()) as u32;
        let mut bound = sheet_pos.to_le_bytes().to_vec();
        bound.extend_from_slice(&[0, 0, 1, 0, b'A', 0, 0, 0]);
        globals.extend(record(0x0085, &bound));
        globals.extend(eof.clone());
        assert_eq!(globals.len() as u32, sheet_pos);
        globals.extend(record(0x0809, &[0; 16]));
        for c in cells {
            globals.extend_from_slice(c);
        }
        globals.extend(eof);
        globals
    }

    #[test]
    fn small_sheets_pass_and_far_apart_cells_do_not() {
        assert!(within_limits(&workbook(&[number(0, 0), number(20, 5)])));
        assert!(!within_limits(&workbook(&[
            number(0, 0),
            number(65_535, 255)
        ])));
        // A DIMENSIONS record declaring the whole sheet.
        let mut dims = 0u32.to_le_bytes().to_vec();
        dims.extend_from_slice(&65_536u32.to_le_bytes());
        dims.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
        assert!(!within_limits(&workbook(&[record(0x0200, &dims)])));
    }

    #[test]
    fn the_fixture_passes() {
        let bytes = include_bytes!("../testdata/evidencias.xls");
        let container = crate::cfb::parse(bytes).expect("sane");
        let stream = container.stream("Workbook").expect("Workbook stream");
        assert!(stream.len() > 1000);
        assert!(within_limits(&stream));
    }
}
