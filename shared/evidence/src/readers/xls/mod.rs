//! An .xls (BIFF8) reader of our own, for what the evidence check needs: the sheet names, each
//! sheet's cell values and the pictures each sheet shows (drawing shapes pointing into the
//! workbook's drawing store, or IMDATA records after a picture OBJ as xlwt writes them).
//!
//! calamine 0.38 (the latest release) panics on hostile .xls files in too many places to fence
//! off one by one: `parse_pictures` hits `unreachable!()` on an unknown blip instance and slices
//! past short records, `parse_formula` slices every token without checking its length, the
//! SST and name parsers read fixed offsets of short records (fuzz findings in
//! `testdata/fuzz/`, and upstream issues #721 and #707). In a wasm component a panic traps the
//! instance (no unwinding), so the developer gets an empty 500 instead of a 422. This reader
//! cannot panic: every read goes through `get`, every sum through `checked_*` (the lints of `readers`
//! make clippy refuse anything else in this module), nothing is allocated from a declared
//! size, and nesting is walked with a bounded explicit stack. It reads what it needs and
//! nothing more: no formulas (only their cached values), no formats (numbers stay numbers).
//! Workbooks older than BIFF8 (Excel 95 and before, "Book" streams) are refused: their
//! strings and records are laid out otherwise, and the guide asks for Excel 97-2003 or later.

/// Why a workbook cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XlsError {
    /// The container or the record stream is damaged.
    Unreadable,
    /// BIFF5 or older (Excel 95 and before).
    OldFormat,
    /// Encrypted (FILEPASS).
    Encrypted,
    /// The drawing store (pictures) is damaged.
    Pictures,
}

/// Records the reader acts on.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const MSO_DRAWING_GROUP: u16 = 0x00EB;
const MSO_DRAWING: u16 = 0x00EC;
const OBJ: u16 = 0x005D;
const IMDATA: u16 = 0x007F;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const BOOLERR: u16 = 0x0205;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;

mod cells;
mod pictures;
mod records;
mod strings;

use pictures::blip_store;
use records::{Records, Segments, SheetRecords, u16_at, u32_at};
use strings::SharedStrings;

pub use cells::CellsError;

/// One sheet as BOUNDSHEET8 lists it.
struct SheetEntry {
    name: String,
    /// Offset of its BOF in the workbook stream.
    position: usize,
}

/// An opened .xls workbook.
pub struct Workbook {
    stream: Vec<u8>,
    sheets: Vec<SheetEntry>,
    strings: SharedStrings,
    /// Each FBSE of the drawing store, in order (a shape's `pib` is a 1-based index into it):
    /// the kind of the picture it holds, `None` when it holds none.
    blips: Vec<Option<&'static str>>,
}

/// Opens an .xls: checks the compound file, reads the globals (sheets, shared strings,
/// drawing store) and checks that every sheet starts with a BOF inside the stream.
pub fn open(bytes: &[u8]) -> Result<Workbook, XlsError> {
    let container = crate::cfb::parse(bytes).ok_or(XlsError::Unreadable)?;
    match container.stream("Workbook") {
        Some(stream) => from_stream(stream),
        // "Book" is where Excel 5/95 kept a BIFF5 workbook.
        None if container.stream("Book").is_some() => Err(XlsError::OldFormat),
        None => Err(XlsError::Unreadable),
    }
}

/// The workbook in a BIFF8 "Workbook" stream.
fn from_stream(stream: Vec<u8>) -> Result<Workbook, XlsError> {
    let mut records = Records { rest: &stream };
    let first = records.next().ok_or(XlsError::Unreadable)??;
    if first.typ != BOF {
        // BIFF2-4 BOFs have other record numbers (0x0009, 0x0209, 0x0409).
        return Err(match first.typ {
            0x0009 | 0x0209 | 0x0409 => XlsError::OldFormat,
            _ => XlsError::Unreadable,
        });
    }
    if u16_at(first.data, 0) != Some(0x0600) {
        return Err(XlsError::OldFormat);
    }
    let mut sheets = Vec::new();
    let mut strings = SharedStrings::default();
    let mut drawing_group: Vec<u8> = Vec::new();
    for record in records {
        let record = record?;
        match record.typ {
            FILEPASS => return Err(XlsError::Encrypted),
            BOUNDSHEET => {
                let position = u32_at(record.data, 0).ok_or(XlsError::Unreadable)?;
                let cch = usize::from(*record.data.get(6).ok_or(XlsError::Unreadable)?);
                let high = record.data.get(7).ok_or(XlsError::Unreadable)? & 1 != 0;
                let tail = record.data.get(8..).ok_or(XlsError::Unreadable)?;
                let width: usize = if high { 2 } else { 1 };
                let available = tail.len().checked_div(width).unwrap_or(0);
                let mut name = Segments::new(tail, Vec::new())
                    .chars(cch.min(available), high)
                    .ok_or(XlsError::Unreadable)?;
                name.retain(|c| c != '\0');
                sheets.push(SheetEntry {
                    name,
                    position: usize::try_from(position).map_err(|_| XlsError::Unreadable)?,
                });
            }
            SST => strings = SharedStrings::parse(&record).ok_or(XlsError::Unreadable)?,
            MSO_DRAWING_GROUP => {
                drawing_group.extend_from_slice(record.data);
                for c in &record.cont {
                    drawing_group.extend_from_slice(c);
                }
            }
            EOF => break,
            _ => {}
        }
    }
    for sheet in &sheets {
        let starts_with_bof = stream
            .get(sheet.position..)
            .and_then(|s| u16_at(s, 0))
            .is_some_and(|typ| typ == BOF);
        if !starts_with_bof {
            return Err(XlsError::Unreadable);
        }
    }
    let blips = blip_store(&drawing_group).ok_or(XlsError::Pictures)?;
    Ok(Workbook {
        stream,
        sheets,
        strings,
        blips,
    })
}

impl Workbook {
    /// The sheet names, in the workbook's order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|s| s.name.clone()).collect()
    }

    /// The records of the sheet called `name`; None when there is no such sheet.
    fn sheet_records(&self, name: &str) -> Option<SheetRecords<'_>> {
        let sheet = self.sheets.iter().find(|s| s.name == name)?;
        Some(SheetRecords::new(self.stream.get(sheet.position..)?))
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod tests;

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod pictures_tests;
