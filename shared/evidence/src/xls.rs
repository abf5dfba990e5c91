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
//! cannot panic: every read goes through `get`, every sum through `checked_*` (the lints below
//! make clippy refuse anything else in this module), nothing is allocated from a declared
//! size, and nesting is walked with a bounded explicit stack. It reads what it needs and
//! nothing more: no formulas (only their cached values), no formats (numbers stay numbers).
//! Workbooks older than BIFF8 (Excel 95 and before, "Book" streams) are refused: their
//! strings and records are laid out otherwise, and the guide asks for Excel 97-2003 or later.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::string_slice,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use calamine::{CellErrorType, Data};

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

/// Deepest nesting of drawing containers walked (a real store nests four deep).
const MAX_ART_DEPTH: usize = 8;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    let bytes = b.get(at..at.checked_add(8)?)?;
    Some(f64::from_le_bytes(bytes.try_into().ok()?))
}

/// One BIFF record and the CONTINUE records that follow it.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// The records of a stream from its start; `Err` once a record overruns the stream.
struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Records<'a> {
    fn header(&self) -> Option<(u16, usize)> {
        Some((u16_at(self.rest, 0)?, usize::from(u16_at(self.rest, 2)?)))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], XlsError> {
        let end = len.checked_add(4).ok_or(XlsError::Unreadable)?;
        let data = self.rest.get(4..end).ok_or(XlsError::Unreadable)?;
        self.rest = self.rest.get(end..).ok_or(XlsError::Unreadable)?;
        Ok(data)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, XlsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((typ, len)) = self.header() else {
            return Some(Err(XlsError::Unreadable));
        };
        let data = match self.take(len) {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        let mut cont = Vec::new();
        while let Some((CONTINUE, len)) = self.header() {
            match self.take(len) {
                Ok(d) => cont.push(d),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(Record { typ, data, cont }))
    }
}

/// A record's data and its CONTINUE records read as one stream, except that character data
/// split across a boundary starts again with a flags byte (MS-XLS 2.5.293).
struct Segments<'a> {
    current: &'a [u8],
    next: std::vec::IntoIter<&'a [u8]>,
}

impl<'a> Segments<'a> {
    fn new(first: &'a [u8], rest: Vec<&'a [u8]>) -> Segments<'a> {
        Segments {
            current: first,
            next: rest.into_iter(),
        }
    }

    fn at_end(&mut self) -> bool {
        while self.current.is_empty() {
            match self.next.next() {
                Some(segment) => self.current = segment,
                None => return true,
            }
        }
        false
    }

    fn byte(&mut self) -> Option<u8> {
        if self.at_end() {
            return None;
        }
        let (first, rest) = self.current.split_first()?;
        self.current = rest;
        Some(*first)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    fn skip(&mut self, mut n: usize) -> Option<()> {
        while n > 0 {
            if self.at_end() {
                return None;
            }
            let step = n.min(self.current.len());
            self.current = self.current.get(step..)?;
            n = n.checked_sub(step)?;
        }
        Some(())
    }

    /// `cch` characters, one byte each (Latin-1) or two (UTF-16LE) as `high` says; a
    /// boundary restarts with a flags byte. `None` when the data ends first.
    fn chars(&mut self, cch: usize, mut high: bool) -> Option<String> {
        let mut units: Vec<u16> = Vec::new();
        let mut left = cch;
        while left > 0 {
            let width: usize = if high { 2 } else { 1 };
            let fits = self.current.len().checked_div(width)?.min(left);
            if fits == 0 {
                // This segment is spent (an odd byte left is dropped): the next one says
                // how its characters are stored.
                self.current = self.next.next()?;
                high = self.byte()? & 1 != 0;
                continue;
            }
            let bytes = self.current.get(..fits.checked_mul(width)?)?;
            if high {
                units.extend(
                    bytes
                        .chunks_exact(2)
                        .filter_map(|c| Some(u16::from_le_bytes(c.try_into().ok()?))),
                );
            } else {
                units.extend(bytes.iter().map(|b| u16::from(*b)));
            }
            self.current = self.current.get(bytes.len()..)?;
            left = left.checked_sub(fits)?;
        }
        Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    }
}

/// `XLUnicodeString` inside one record (LABEL, STRING): cch (u16), flags, characters. A
/// string longer than the record is cut where the data ends, as Excel's readers do.
fn unicode_string(data: &[u8], cont: &[&[u8]]) -> Option<String> {
    let cch = usize::from(u16_at(data, 0)?);
    let high = data.get(2)? & 1 != 0;
    let mut segments = Segments::new(data.get(3..)?, cont.to_vec());
    // Shorter than declared: take the whole characters there are.
    let width: usize = if high { 2 } else { 1 };
    let available = data.len().saturating_sub(3).checked_div(width)?;
    if cont.is_empty() {
        return segments.chars(cch.min(available), high);
    }
    segments.chars(cch, high)
}

/// `XLUnicodeRichExtendedString` (MS-XLS 2.5.293), one entry of the SST.
fn rich_string(s: &mut Segments<'_>) -> Option<String> {
    let cch = usize::from(s.u16()?);
    let flags = s.byte()?;
    let runs = if flags & 0x08 != 0 {
        usize::from(s.u16()?)
    } else {
        0
    };
    let ext = if flags & 0x04 != 0 {
        usize::try_from(s.u32()?).ok()?
    } else {
        0
    };
    let text = s.chars(cch, flags & 1 != 0)?;
    s.skip(runs.checked_mul(4)?)?;
    s.skip(ext)?;
    Some(text)
}

/// The shared strings, kept as one text and the bounds of each string in it.
#[derive(Default)]
struct SharedStrings {
    text: String,
    bounds: Vec<(usize, usize)>,
}

impl SharedStrings {
    fn parse(record: &Record<'_>) -> Option<SharedStrings> {
        let mut s = Segments::new(record.data.get(8..)?, record.cont.clone());
        let mut sst = SharedStrings::default();
        while !s.at_end() {
            let one = rich_string(&mut s)?;
            let start = sst.text.len();
            sst.text.push_str(&one);
            sst.bounds.push((start, sst.text.len()));
        }
        Some(sst)
    }

    fn get(&self, index: u32) -> Option<&str> {
        let (start, end) = *self.bounds.get(usize::try_from(index).ok()?)?;
        self.text.get(start..end)
    }
}

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

    /// The kind of each picture of the drawing store ("png", "jpg", "emf", "dib"...), whichever
    /// sheet shows it.
    #[cfg(test)]
    pub fn pictures(&self) -> Vec<&'static str> {
        self.blips.iter().flatten().copied().collect()
    }

    /// The kind of each picture shown on a sheet, as Excel finds them: the shapes of the
    /// sheet's drawing (MSODRAWING) whose `pib` names a picture of the drawing store (Excel
    /// 97 and later, LibreOffice), and each IMDATA record right after a picture OBJ (xlwt's
    /// `insert_bitmap`, Excel 5/95). Embedded substreams (charts) are not the sheet's. A
    /// damaged sheet drawing shows no picture; `Err` when the sheet's records are damaged.
    pub fn sheet_pictures(&self, name: &str) -> Result<Vec<&'static str>, XlsError> {
        let sheet = self
            .sheets
            .iter()
            .find(|s| s.name == name)
            .ok_or(XlsError::Unreadable)?;
        let start = self
            .stream
            .get(sheet.position..)
            .ok_or(XlsError::Unreadable)?;
        let mut found = Vec::new();
        let mut drawing: Vec<u8> = Vec::new();
        let mut seen_bof = false;
        let mut depth = 0usize;
        // Whether the record just read is an OBJ of a picture (`ot` 8, at offset 4 both in
        // BIFF8's FtCmo and in BIFF5's OBJ that xlwt writes).
        let mut after_picture_obj = false;
        for record in (Records { rest: start }) {
            let record = record?;
            if depth > 0 {
                match record.typ {
                    BOF => depth = depth.saturating_add(1),
                    EOF => depth = depth.saturating_sub(1),
                    _ => {}
                }
                continue;
            }
            match record.typ {
                BOF if seen_bof => depth = 1,
                BOF => seen_bof = true,
                EOF => break,
                MSO_DRAWING => {
                    drawing.extend_from_slice(record.data);
                    for c in &record.cont {
                        drawing.extend_from_slice(c);
                    }
                }
                IMDATA if after_picture_obj => {
                    found.extend(imdata_kind(record.data, &record.cont));
                }
                _ => {}
            }
            after_picture_obj = record.typ == OBJ && u16_at(record.data, 4) == Some(8);
        }
        for pib in shape_blips(&drawing).unwrap_or_default() {
            let kind = usize::try_from(pib)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| self.blips.get(i).copied().flatten());
            found.extend(kind);
        }
        Ok(found)
    }

    /// Hands each cell of a sheet to `sink` as (row, column, value), 0-based, in file order,
    /// until the sheet ends or `sink` says stop (`Err`). Cells of embedded substreams
    /// (charts) are skipped.
    pub fn cells<E>(
        &self,
        name: &str,
        mut sink: impl FnMut(u32, u32, Data) -> Result<(), E>,
    ) -> Result<(), CellsError<E>> {
        let sheet = self
            .sheets
            .iter()
            .find(|s| s.name == name)
            .ok_or(CellsError::Damaged)?;
        let start = self
            .stream
            .get(sheet.position..)
            .ok_or(CellsError::Damaged)?;
        let mut seen_bof = false;
        let mut depth = 0usize;
        // Where the last formula whose value is text stands: its STRING record follows.
        let mut pending_string: Option<(u32, u32)> = None;
        for record in (Records { rest: start }) {
            let record = record.map_err(|_| CellsError::Damaged)?;
            if depth > 0 {
                match record.typ {
                    BOF => depth = depth.saturating_add(1),
                    EOF => depth = depth.saturating_sub(1),
                    _ => {}
                }
                continue;
            }
            let data = record.data;
            let at = || -> Option<(u32, u32)> {
                Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)))
            };
            let mut cell = |value: Option<Data>| -> Result<(), CellsError<E>> {
                match (at(), value) {
                    (Some((row, col)), Some(value)) => {
                        sink(row, col, value).map_err(CellsError::Sink)
                    }
                    _ => Ok(()),
                }
            };
            match record.typ {
                BOF if seen_bof => depth = 1,
                BOF => seen_bof = true,
                EOF => break,
                NUMBER => cell(f64_at(data, 6).map(Data::Float))?,
                RK => cell(data.get(6..10).and_then(rk))?,
                LABELSST => cell(
                    u32_at(data, 6)
                        .and_then(|i| self.strings.get(i))
                        .map(|s| Data::String(s.to_string())),
                )?,
                LABEL | RSTRING => cell(
                    data.get(6..)
                        .and_then(|s| unicode_string(s, &[]))
                        .map(Data::String),
                )?,
                BOOLERR => cell(bool_err(data))?,
                FORMULA => {
                    pending_string = None;
                    match data.get(6..14) {
                        // A text result: its value is the STRING record that follows.
                        Some([0x00, .., 0xFF, 0xFF]) => pending_string = at(),
                        Some(value) => cell(formula_value(value))?,
                        None => {}
                    }
                }
                STRING => {
                    if let (Some((row, col)), Some(text)) =
                        (pending_string.take(), unicode_string(data, &record.cont))
                    {
                        sink(row, col, Data::String(text)).map_err(CellsError::Sink)?;
                    }
                }
                MULRK => {
                    let (Some(row), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) else {
                        continue;
                    };
                    let body = data.get(4..data.len().saturating_sub(2)).unwrap_or(&[]);
                    for (col, one) in (u32::from(first)..).zip(body.chunks_exact(6)) {
                        if let Some(value) = one.get(2..6).and_then(rk) {
                            sink(u32::from(row), col, value).map_err(CellsError::Sink)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Why [`Workbook::cells`] stopped early.
pub enum CellsError<E> {
    /// The sheet's records are damaged.
    Damaged,
    Sink(E),
}

/// An RK number (MS-XLS 2.5.217), as calamine gives it: an integer stays `Int`.
fn rk(bytes: &[u8]) -> Option<Data> {
    let raw = u32::from_le_bytes(bytes.try_into().ok()?);
    let div100 = raw & 1 != 0;
    if raw & 2 != 0 {
        // A signed 30-bit integer in the high bits.
        let value = i64::from(i32::from_le_bytes(raw.to_le_bytes()) >> 2);
        Some(match (div100, value.checked_rem(100)) {
            (false, _) => Data::Int(value),
            (true, Some(0)) => Data::Int(value.checked_div(100)?),
            (true, _) => Data::Float(value as f64 / 100.0),
        })
    } else {
        let value = f64::from_bits(u64::from(raw & 0xFFFF_FFFC) << 32);
        Some(Data::Float(if div100 { value / 100.0 } else { value }))
    }
}

fn error_value(code: u8) -> Option<Data> {
    Some(Data::Error(match code {
        0x00 => CellErrorType::Null,
        0x07 => CellErrorType::Div0,
        0x0F => CellErrorType::Value,
        0x17 => CellErrorType::Ref,
        0x1D => CellErrorType::Name,
        0x24 => CellErrorType::Num,
        0x2A => CellErrorType::NA,
        0x2B => CellErrorType::GettingData,
        _ => return None,
    }))
}

/// BOOLERR: a boolean or an error value.
fn bool_err(data: &[u8]) -> Option<Data> {
    let value = *data.get(6)?;
    match data.get(7)? {
        0 => Some(Data::Bool(value != 0)),
        1 => error_value(value),
        _ => None,
    }
}

/// A FORMULA's cached value (FormulaValue, MS-XLS 2.5.133), other than text.
fn formula_value(value: &[u8]) -> Option<Data> {
    match value {
        [0x01, _, b, .., 0xFF, 0xFF] => Some(Data::Bool(*b != 0)),
        [0x02, _, e, .., 0xFF, 0xFF] => error_value(*e),
        [0x03, .., 0xFF, 0xFF] => Some(Data::String(String::new())),
        [_, .., 0xFF, 0xFF] => None,
        _ => f64_at(value, 0).map(Data::Float),
    }
}

/// The drawing group's blip store (MS-ODRAW): each FBSE, in order, with the kind of the
/// picture it embeds (`None` for an FBSE without one). OfficeArt records are walked with an
/// explicit stack no deeper than [`MAX_ART_DEPTH`]. `None` when a record overruns its
/// container, or a picture record has an instance MS-ODRAW does not define or is shorter than
/// its own header.
fn blip_store(group: &[u8]) -> Option<Vec<Option<&'static str>>> {
    let mut found = Vec::new();
    // Each level's records and how deep it lies.
    let mut stack: Vec<(&[u8], usize)> = vec![(group, 0)];
    while let Some((level, depth)) = stack.pop() {
        let inner = depth.checked_add(1)?;
        if inner > MAX_ART_DEPTH {
            return None;
        }
        for record in art_records(level) {
            let (_, typ, data) = record?;
            match typ {
                // OfficeArtDggContainer, OfficeArtBStoreContainer: records inside.
                0xF000 | 0xF001 => stack.push((data, inner)),
                // OfficeArtFBSE: 36 bytes, the name (cbName bytes), then the blip itself
                // (absent when the picture lives elsewhere: no picture for us).
                0xF007 => {
                    let name_len = usize::from(*data.get(33)?);
                    let blip = data.get(36usize.checked_add(name_len)?..)?;
                    let mut kind = None;
                    for record in art_records(blip) {
                        let (instance, typ, data) = record?;
                        if let Some(k) = blip_kind(typ, instance, data)? {
                            kind = kind.or(Some(k));
                        }
                    }
                    found.push(kind);
                }
                _ => {}
            }
        }
    }
    Some(found)
}

/// The OfficeArt records of one level, as (instance, type, data); an `Err`-like `None` item
/// (and nothing after it) once a record is not OfficeArt or overruns the level.
fn art_records(level: &[u8]) -> impl Iterator<Item = Option<(u16, u16, &[u8])>> + '_ {
    let mut rest = Some(level);
    std::iter::from_fn(move || {
        let current = rest.take()?;
        if current.is_empty() {
            return None;
        }
        let record = (|| {
            let ver_instance = u16_at(current, 0)?;
            let typ = u16_at(current, 2)?;
            let len = usize::try_from(u32_at(current, 4)?).ok()?;
            if typ < 0xF000 {
                return None;
            }
            let end = len.checked_add(8)?;
            let data = current.get(8..end)?;
            Some((ver_instance >> 4, typ, data, current.get(end..)?))
        })();
        Some(record.map(|(instance, typ, data, after)| {
            rest = Some(after);
            (instance, typ, data)
        }))
    })
}

/// A blip record's picture kind: `Some(None)` for a record that is no blip, `None` for a
/// damaged one. The kind by record type, the header (one or two UIDs, then the metafile or
/// bitmap header) by instance: MS-ODRAW allows two instances per kind; any other is a damaged
/// store (calamine hits `unreachable!()`).
fn blip_kind(typ: u16, instance: u16, data: &[u8]) -> Option<Option<&'static str>> {
    if !matches!(typ, 0xF01A..=0xF01F | 0xF029 | 0xF02A) {
        return Some(None);
    }
    let (kind, header) = match (typ, instance) {
        (0xF01A, 0x3D4) => ("emf", 50),
        (0xF01A, 0x3D5) => ("emf", 66),
        (0xF01B, 0x216) => ("wmf", 50),
        (0xF01B, 0x217) => ("wmf", 66),
        (0xF01C, 0x542) => ("pict", 50),
        (0xF01C, 0x543) => ("pict", 66),
        (0xF01D | 0xF02A, 0x46A | 0x6E2) => ("jpg", 17),
        (0xF01D | 0xF02A, 0x46B | 0x6E3) => ("jpg", 33),
        (0xF01E, 0x6E0) => ("png", 17),
        (0xF01E, 0x6E1) => ("png", 33),
        (0xF01F, 0x7A8) => ("dib", 17),
        (0xF01F, 0x7A9) => ("dib", 33),
        (0xF029, 0x6E4) => ("tiff", 17),
        (0xF029, 0x6E5) => ("tiff", 33),
        _ => return None,
    };
    (data.len() >= header).then_some(Some(kind))
}

/// The blip store indexes (1-based `pib`, MS-ODRAW 2.3.23.1) of the picture shapes of a
/// sheet's drawing (its MSODRAWING records joined): every OfficeArtFOPT's `pib` property with
/// `fBid` set. `None` when the drawing is damaged or nests deeper than [`MAX_ART_DEPTH`].
fn shape_blips(drawing: &[u8]) -> Option<Vec<u32>> {
    let mut pibs = Vec::new();
    let mut stack: Vec<(&[u8], usize)> = vec![(drawing, 0)];
    while let Some((level, depth)) = stack.pop() {
        let inner = depth.checked_add(1)?;
        if inner > MAX_ART_DEPTH {
            return None;
        }
        for record in art_records(level) {
            let (instance, typ, data) = record?;
            // OfficeArtDgContainer, OfficeArtSpgrContainer, OfficeArtSpContainer.
            if matches!(typ, 0xF002..=0xF004) {
                stack.push((data, inner));
            } else if typ == 0xF00B {
                // OfficeArtFOPT: `instance` properties of 6 bytes (opid, op), then complex data.
                for i in 0..usize::from(instance) {
                    let at = i.checked_mul(6)?;
                    let (Some(opid), Some(op)) =
                        (u16_at(data, at), u32_at(data, at.checked_add(2)?))
                    else {
                        break;
                    };
                    if opid & 0x3FFF == 0x0104 && opid & 0x4000 != 0 {
                        pibs.push(op);
                    }
                }
            }
        }
    }
    Some(pibs)
}

/// A picture of the IMDATA record (MS-XLS 2.4.142) that follows a picture OBJ, as xlwt's
/// `insert_bitmap` and Excel 5/95-era writers store it: `cf` 0x09 is a bitmap (a
/// BITMAPCOREHEADER and its pixels, all there), 0x02 a metafile; anything else, or a record
/// shorter than it says, is no picture.
fn imdata_kind(data: &[u8], cont: &[&[u8]]) -> Option<&'static str> {
    let cf = u16_at(data, 0)?;
    let lcb = usize::try_from(u32_at(data, 4)?).ok()?;
    let mut available = data.len().checked_sub(8)?;
    for c in cont {
        available = available.checked_add(c.len())?;
    }
    if lcb > available || lcb == 0 {
        return None;
    }
    match cf {
        0x0002 => Some("wmf"),
        0x0009 => {
            // BITMAPCOREHEADER: bcSize 12, width, height, planes 1, bits per pixel.
            if u32_at(data, 8)? != 12 || u16_at(data, 16)? != 1 {
                return None;
            }
            let width = usize::from(u16_at(data, 12)?);
            let height = usize::from(u16_at(data, 14)?);
            let bits = u16_at(data, 18)?;
            let palette: usize = match bits {
                1 => 6,
                4 => 48,
                8 => 768,
                24 => 0,
                _ => return None,
            };
            // Rows padded to 4 bytes.
            let row_bits = width.checked_mul(usize::from(bits))?;
            let stride = row_bits.checked_add(31)?.checked_div(32)?.checked_mul(4)?;
            let pixels = stride.checked_mul(height)?;
            let needed = pixels.checked_add(palette)?.checked_add(12)?;
            (width > 0 && height > 0 && pixels > 0 && lcb >= needed).then_some("bmp")
        }
        _ => None,
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
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn bof(dt: u16) -> Vec<u8> {
        let mut d = 0x0600u16.to_le_bytes().to_vec();
        d.extend_from_slice(&dt.to_le_bytes());
        d.extend_from_slice(&[0; 12]);
        rec(BOF, &d)
    }

    fn at(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes()); // ixfe
        d
    }

    fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
        let mut d = at(row, col);
        d.extend_from_slice(&v.to_le_bytes());
        rec(NUMBER, &d)
    }

    fn rk_int(row: u16, col: u16, v: i32, div100: bool) -> Vec<u8> {
        let mut d = at(row, col);
        let raw = ((v << 2) as u32) | 2 | u32::from(div100);
        d.extend_from_slice(&raw.to_le_bytes());
        rec(RK, &d)
    }

    fn label_sst(row: u16, col: u16, index: u32) -> Vec<u8> {
        let mut d = at(row, col);
        d.extend_from_slice(&index.to_le_bytes());
        rec(LABELSST, &d)
    }

    /// Globals (BOF, `extra`, one BOUNDSHEET per sheet, EOF), then each sheet's substream.
    fn stream(extra: &[Vec<u8>], sheets: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
        let mut globals = bof(0x0005);
        for r in extra {
            globals.extend_from_slice(r);
        }
        let bound_len: usize = sheets.iter().map(|(n, _)| 4 + 8 + n.len()).sum();
        let mut position = globals.len() + bound_len + 4;
        let mut bodies = Vec::new();
        for (name, cells) in sheets {
            let mut d = (position as u32).to_le_bytes().to_vec();
            d.extend_from_slice(&[0, 0, name.len() as u8, 0]);
            d.extend_from_slice(name.as_bytes());
            globals.extend(rec(BOUNDSHEET, &d));
            let mut body = bof(0x0010);
            for c in cells {
                body.extend_from_slice(c);
            }
            body.extend(rec(EOF, &[]));
            position += body.len();
            bodies.push(body);
        }
        globals.extend(rec(EOF, &[]));
        for body in bodies {
            globals.extend(body);
        }
        globals
    }

    fn cells(book: &Workbook, name: &str) -> BTreeMap<(u32, u32), Data> {
        let mut out = BTreeMap::new();
        let result = book.cells(name, |r, c, v| {
            out.insert((r, c), v);
            Ok::<(), ()>(())
        });
        assert!(result.is_ok());
        out
    }

    #[test]
    fn the_fixture_reads_as_calamine_reads_it() {
        use calamine::Reader;
        let bytes = include_bytes!("../testdata/evidencias.xls");
        let ours = open(bytes).expect("the fixture opens");
        let mut theirs: calamine::Xls<_> =
            calamine::Xls::new(std::io::Cursor::new(&bytes[..])).expect("calamine opens it");
        assert_eq!(ours.sheet_names(), theirs.sheet_names());
        let their_pictures: Vec<String> = theirs
            .pictures()
            .unwrap_or_default()
            .into_iter()
            .map(|(ext, _)| ext)
            .collect();
        assert_eq!(ours.pictures(), their_pictures);
        assert!(!ours.pictures().is_empty());
        let mut compared = 0;
        for name in theirs.sheet_names() {
            let range = theirs.worksheet_range(&name).expect("range");
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let mine = cells(&ours, &name);
            let mut expected = BTreeMap::new();
            for (r, c, v) in range.used_cells() {
                expected.insert((r0 + r as u32, c0 + c as u32), v.clone());
            }
            assert_eq!(mine.len(), expected.len(), "{name}");
            for (pos, theirs) in &expected {
                let mine = &mine[pos];
                // calamine turns date-formatted numbers into dates; ours stay numbers.
                match (mine, theirs) {
                    (Data::Float(a), Data::DateTime(b)) => assert_eq!(*a, b.as_f64()),
                    _ => assert_eq!(mine, theirs, "{name} {pos:?}"),
                }
                compared += 1;
            }
        }
        assert!(compared > 50, "{compared}");
    }

    #[test]
    fn cells_of_every_kind() {
        let mut label = at(5, 0);
        label.extend_from_slice(&[2, 0, 1]); // two UTF-16 characters
        label.extend_from_slice(
            &"ñ€"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>(),
        );
        let mut mulrk = at(6, 1)[..4].to_vec();
        for v in [7i32, 8] {
            mulrk.extend_from_slice(&0u16.to_le_bytes());
            mulrk.extend_from_slice(&(((v << 2) as u32) | 2).to_le_bytes());
        }
        mulrk.extend_from_slice(&2u16.to_le_bytes());
        let mut boolean = at(7, 0);
        boolean.extend_from_slice(&[1, 0]);
        let mut error = at(7, 1);
        error.extend_from_slice(&[0x07, 1]);
        let mut text_formula = at(8, 0);
        text_formula.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
        text_formula.extend_from_slice(&[0; 6]);
        let mut string = 3u16.to_le_bytes().to_vec();
        string.extend_from_slice(b"\0abc");
        let mut number_formula = at(8, 1);
        number_formula.extend_from_slice(&2.5f64.to_le_bytes());
        number_formula.extend_from_slice(&[0; 6]);
        let mut sst = 1u32.to_le_bytes().to_vec();
        sst.extend_from_slice(&1u32.to_le_bytes());
        sst.extend_from_slice(&[4, 0, 0]);
        sst.extend_from_slice(b"hola");
        let s = stream(
            &[rec(SST, &sst)],
            &[(
                "2 Resultados",
                vec![
                    number(0, 2, 1234.5),
                    rk_int(1, 2, 1234, false),
                    rk_int(2, 2, 123400, true),
                    rk_int(3, 2, 123455, true),
                    label_sst(4, 0, 0),
                    label_sst(4, 1, 99), // no such string: no cell
                    rec(LABEL, &label),
                    rec(MULRK, &mulrk),
                    rec(BOOLERR, &boolean),
                    rec(BOOLERR, &error),
                    rec(FORMULA, &text_formula),
                    rec(STRING, &string),
                    rec(FORMULA, &number_formula),
                    // An embedded chart: its cells are not the sheet's.
                    bof(0x0020),
                    number(9, 9, 1.0),
                    rec(EOF, &[]),
                    number(10, 0, 3.0),
                ],
            )],
        );
        let book = from_stream(s).expect("opens");
        assert_eq!(book.sheet_names(), ["2 Resultados"]);
        let got = cells(&book, "2 Resultados");
        let want: BTreeMap<(u32, u32), Data> = [
            ((0, 2), Data::Float(1234.5)),
            ((1, 2), Data::Int(1234)),
            ((2, 2), Data::Int(1234)),
            ((3, 2), Data::Float(1234.55)),
            ((4, 0), Data::String("hola".into())),
            ((5, 0), Data::String("ñ€".into())),
            ((6, 1), Data::Int(7)),
            ((6, 2), Data::Int(8)),
            ((7, 0), Data::Bool(true)),
            ((7, 1), Data::Error(CellErrorType::Div0)),
            ((8, 0), Data::String("abc".into())),
            ((8, 1), Data::Float(2.5)),
            ((10, 0), Data::Float(3.0)),
        ]
        .into_iter()
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn shared_strings_continue_across_records() {
        // "abcdé€" split after "abc": the CONTINUE restarts with a flags byte (UTF-16 now);
        // then a rich string whose runs and extension straddle the next boundary.
        let mut sst = 2u32.to_le_bytes().to_vec();
        sst.extend_from_slice(&2u32.to_le_bytes());
        sst.extend_from_slice(&[6, 0, 0]);
        sst.extend_from_slice(b"abc");
        let mut cont = vec![1];
        cont.extend("dé€".encode_utf16().flat_map(u16::to_le_bytes));
        cont.extend_from_slice(&[2, 0, 0x0C]); // cch 2, rich and extended
        cont.extend_from_slice(&1u16.to_le_bytes()); // one run
        cont.extend_from_slice(&3u32.to_le_bytes()); // three extension bytes
        cont.extend_from_slice(b"xy");
        cont.extend_from_slice(&[0, 0]);
        let tail = [0u8, 0, 9, 9, 9];
        let s = stream(
            &[rec(SST, &sst), rec(CONTINUE, &cont), rec(CONTINUE, &tail)],
            &[("S", vec![label_sst(0, 0, 0), label_sst(0, 1, 1)])],
        );
        let book = from_stream(s).expect("opens");
        let got = cells(&book, "S");
        assert_eq!(got[&(0, 0)], Data::String("abcdé€".into()));
        assert_eq!(got[&(0, 1)], Data::String("xy".into()));
    }

    /// A drawing group holding one blip record of `typ`/`instance` with `len` data bytes,
    /// inside an FBSE whose name is `name_len` bytes, inside the usual two containers.
    fn drawing(typ: u16, instance: u16, len: usize, name_len: u8) -> Vec<u8> {
        let art = |ver_inst: u16, typ: u16, data: &[u8]| {
            let mut out = ver_inst.to_le_bytes().to_vec();
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
            out
        };
        let blip = art(instance << 4, typ, &vec![0; len]);
        let mut fbse = vec![0; 36];
        fbse[33] = name_len;
        fbse.extend(vec![b'n'; usize::from(name_len)]);
        fbse.extend(blip);
        let store = art(0x000F, 0xF001, &art(0x0002, 0xF007, &fbse));
        art(0x000F, 0xF000, &store)
    }

    fn with_drawing(group: &[u8]) -> Result<Workbook, XlsError> {
        from_stream(stream(&[rec(MSO_DRAWING_GROUP, group)], &[("S", vec![])]))
    }

    #[test]
    fn the_picture_store_gives_each_kind() {
        for (typ, instance, kind) in [
            (0xF01E, 0x6E0, "png"),
            (0xF01D, 0x46A, "jpg"),
            (0xF01F, 0x7A8, "dib"),
            (0xF01A, 0x3D4, "emf"),
        ] {
            let book = with_drawing(&drawing(typ, instance, 80, 0)).expect("opens");
            assert_eq!(book.pictures(), [kind]);
        }
        let named = with_drawing(&drawing(0xF01E, 0x6E1, 40, 5)).expect("opens");
        assert_eq!(named.pictures(), ["png"]);
    }

    /// An OfficeArt record.
    fn art(ver_inst: u16, typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = ver_inst.to_le_bytes().to_vec();
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// A sheet drawing (DgContainer > SpgrContainer > SpContainer > FOPT) whose one shape has
    /// these FOPT properties, as (opid, op).
    fn sheet_drawing(properties: &[(u16, u32)]) -> Vec<u8> {
        let mut fopt = Vec::new();
        for (opid, op) in properties {
            fopt.extend_from_slice(&opid.to_le_bytes());
            fopt.extend_from_slice(&op.to_le_bytes());
        }
        let shape = art(
            0x000F,
            0xF004,
            &art(((properties.len() as u16) << 4) | 3, 0xF00B, &fopt),
        );
        art(0x000F, 0xF002, &art(0x000F, 0xF003, &shape))
    }

    /// IMDATA with a BITMAPCOREHEADER of `width` × `height` 24-bit pixels, `short` bytes cut.
    fn imdata(width: u16, height: u16, short: usize) -> Vec<u8> {
        let stride = (usize::from(width) * 3).div_ceil(4) * 4;
        let lcb = 12 + stride * usize::from(height);
        let mut d = 9u16.to_le_bytes().to_vec();
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&(lcb as u32).to_le_bytes());
        d.extend_from_slice(&12u32.to_le_bytes());
        for v in [width, height, 1, 24] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.resize(8 + lcb - short, 0x7F);
        d
    }

    /// xlwt's OBJ of a picture (BIFF5 layout: cObj, then `ot` 8).
    fn picture_obj() -> Vec<u8> {
        let mut d = 1u32.to_le_bytes().to_vec();
        d.extend_from_slice(&8u16.to_le_bytes());
        d.resize(60, 0);
        rec(OBJ, &d)
    }

    fn sheet_pictures(extra: &[Vec<u8>], records: Vec<Vec<u8>>) -> Vec<&'static str> {
        let book = from_stream(stream(extra, &[("otra", vec![]), ("3 Pantallas", records)]))
            .expect("opens");
        assert_eq!(book.sheet_pictures("otra"), Ok(vec![]));
        book.sheet_pictures("3 Pantallas").expect("readable")
    }

    #[test]
    fn imdata_after_a_picture_obj_is_a_picture_of_its_sheet() {
        let bitmap = imdata(24, 16, 0);
        assert_eq!(
            sheet_pictures(&[], vec![picture_obj(), rec(IMDATA, &bitmap)]),
            ["bmp"]
        );
        // A large bitmap goes on in CONTINUE records, as xlwt splits it.
        let big = imdata(200, 100, 0);
        let mut split = vec![picture_obj(), rec(IMDATA, &big[..8000])];
        for chunk in big[8000..].chunks(8000) {
            split.push(rec(CONTINUE, chunk));
        }
        assert_eq!(sheet_pictures(&[], split), ["bmp"]);
        // A BIFF8 OBJ (FtCmo: ft 0x15, cb 0x12, ot 8) before it.
        let mut cmo = vec![0x15, 0, 0x12, 0, 8, 0];
        cmo.resize(26, 0);
        assert_eq!(
            sheet_pictures(&[], vec![rec(OBJ, &cmo), rec(IMDATA, &bitmap)]),
            ["bmp"]
        );
        let mut metafile = 2u16.to_le_bytes().to_vec();
        metafile.extend_from_slice(&1u16.to_le_bytes());
        metafile.extend_from_slice(&4u32.to_le_bytes());
        metafile.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(
            sheet_pictures(&[], vec![picture_obj(), rec(IMDATA, &metafile)]),
            ["wmf"]
        );
    }

    #[test]
    fn imdata_that_is_no_picture_counts_for_nothing() {
        let good = imdata(24, 16, 0);
        let mut not_picture_obj = 1u32.to_le_bytes().to_vec();
        not_picture_obj.extend_from_slice(&6u16.to_le_bytes()); // a text box
        let mut bad_header = good.clone();
        bad_header[8..12].copy_from_slice(&40u32.to_le_bytes());
        let mut zero_width = good.clone();
        zero_width[12..14].copy_from_slice(&0u16.to_le_bytes());
        let mut huge_lcb = good.clone();
        huge_lcb[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut huge_size = good.clone();
        huge_size[12..16].copy_from_slice(&[0xFF; 4]);
        let mut odd_bits = good.clone();
        odd_bits[18..20].copy_from_slice(&7u16.to_le_bytes());
        let mut native = good.clone();
        native[0..2].copy_from_slice(&0x0Eu16.to_le_bytes());
        for (what, records) in [
            ("without its OBJ", vec![rec(IMDATA, &good)]),
            (
                "after another record",
                vec![picture_obj(), number(0, 0, 1.0), rec(IMDATA, &good)],
            ),
            (
                "after an OBJ of no picture",
                vec![rec(OBJ, &not_picture_obj), rec(IMDATA, &good)],
            ),
            (
                "pixels cut short",
                vec![picture_obj(), rec(IMDATA, &imdata(24, 16, 1))],
            ),
            (
                "header of 8 bytes",
                vec![picture_obj(), rec(IMDATA, &good[..8])],
            ),
            ("no header", vec![picture_obj(), rec(IMDATA, &good[..5])]),
            (
                "not a core header",
                vec![picture_obj(), rec(IMDATA, &bad_header)],
            ),
            ("zero width", vec![picture_obj(), rec(IMDATA, &zero_width)]),
            (
                "lcb past the record",
                vec![picture_obj(), rec(IMDATA, &huge_lcb)],
            ),
            (
                "65535 × 65535 pixels",
                vec![picture_obj(), rec(IMDATA, &huge_size)],
            ),
            (
                "7 bits per pixel",
                vec![picture_obj(), rec(IMDATA, &odd_bits)],
            ),
            ("native format", vec![picture_obj(), rec(IMDATA, &native)]),
            (
                "inside an embedded chart",
                vec![
                    bof(0x0020),
                    picture_obj(),
                    rec(IMDATA, &good),
                    rec(EOF, &[]),
                ],
            ),
        ] {
            assert_eq!(sheet_pictures(&[], records), Vec::<&str>::new(), "{what}");
        }
    }

    #[test]
    fn drawing_shapes_show_the_store_pictures_they_name() {
        let store = [rec(MSO_DRAWING_GROUP, &drawing(0xF01E, 0x6E0, 80, 0))];
        let pib = |index: u32| sheet_drawing(&[(0x007F, 0), (0x4104, index)]);
        assert_eq!(
            sheet_pictures(&store, vec![rec(MSO_DRAWING, &pib(1))]),
            ["png"]
        );
        // The drawing split over MSODRAWING records with an OBJ between, as Excel writes it.
        let whole = pib(1);
        let split = vec![
            rec(MSO_DRAWING, &whole[..20]),
            picture_obj(),
            rec(MSO_DRAWING, &whole[20..]),
        ];
        assert_eq!(sheet_pictures(&store, split), ["png"]);
        // The store's picture shown on no sheet, or named wrongly, is none of tab 3's.
        let mut deep = pib(1);
        for _ in 0..20 {
            deep = art(0x000F, 0xF003, &deep);
        }
        let mut overrun = pib(1);
        overrun[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        for (what, records) in [
            ("no drawing", vec![]),
            ("pib 0", vec![rec(MSO_DRAWING, &pib(0))]),
            ("pib past the store", vec![rec(MSO_DRAWING, &pib(2))]),
            (
                "pib without fBid",
                vec![rec(MSO_DRAWING, &sheet_drawing(&[(0x0104, 1)]))],
            ),
            ("nested too deep", vec![rec(MSO_DRAWING, &deep)]),
            ("overrunning", vec![rec(MSO_DRAWING, &overrun)]),
            ("not OfficeArt", vec![rec(MSO_DRAWING, &[0; 16])]),
        ] {
            assert_eq!(
                sheet_pictures(&store, records),
                Vec::<&str>::new(),
                "{what}"
            );
        }
        // An FBSE without its blip (kept elsewhere) is no picture.
        let empty_fbse = {
            let fbse = art(0x0002, 0xF007, &[0; 36]);
            art(0x000F, 0xF000, &art(0x000F, 0xF001, &fbse))
        };
        assert_eq!(
            sheet_pictures(
                &[rec(MSO_DRAWING_GROUP, &empty_fbse)],
                vec![rec(MSO_DRAWING, &pib(1))]
            ),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn the_fixture_shows_its_picture_on_tab_three_only() {
        let book = open(include_bytes!("../testdata/evidencias.xls")).expect("opens");
        for name in book.sheet_names() {
            let want: &[&str] = if name == "3 Pantallas" { &["png"] } else { &[] };
            assert_eq!(
                book.sheet_pictures(&name).expect("readable"),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn a_damaged_picture_store_is_refused_not_a_panic() {
        // Each of these panics calamine 0.38's parse_pictures.
        let unknown_instance = drawing(0xF01E, 0x6E2, 80, 0);
        let short_blip = drawing(0xF01E, 0x6E1, 20, 0);
        let mut short_fbse = drawing(0xF01E, 0x6E0, 80, 0);
        // The FBSE's length cut to 20 bytes (its containers' lengths left as they were).
        short_fbse[20..24].copy_from_slice(&20u32.to_le_bytes());
        let name_past_end = drawing(0xF01E, 0x6E0, 0, 200);
        let mut huge_length = drawing(0xF01E, 0x6E0, 80, 0);
        huge_length[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let not_art = vec![0u8; 16];
        // Containers nested a thousand deep.
        let mut deep = Vec::new();
        for _ in 0..1000 {
            let mut outer = 0x000Fu16.to_le_bytes().to_vec();
            outer.extend_from_slice(&0xF000u16.to_le_bytes());
            outer.extend_from_slice(&(deep.len() as u32).to_le_bytes());
            outer.extend(deep);
            deep = outer;
        }
        for (what, group) in [
            ("unknown instance", unknown_instance),
            ("blip shorter than its header", short_blip),
            ("FBSE shorter than 36 bytes", short_fbse),
            ("FBSE name past its end", name_past_end),
            ("length past the store", huge_length),
            ("not an OfficeArt record", not_art),
            ("nested a thousand deep", deep),
        ] {
            assert_eq!(
                with_drawing(&group).err(),
                Some(XlsError::Pictures),
                "{what}"
            );
        }
    }

    #[test]
    fn hostile_streams_are_refused_not_panics() {
        let good = stream(&[], &[("S", vec![number(0, 0, 1.0)])]);
        assert!(from_stream(good.clone()).is_ok());
        let mut past_end = good.clone();
        // The BOUNDSHEET position (right after the 20-byte BOF and its own 4-byte header).
        past_end[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut biff5 = good.clone();
        biff5[4..6].copy_from_slice(&0x0500u16.to_le_bytes());
        let encrypted = stream(&[rec(FILEPASS, &[1, 0])], &[("S", vec![])]);
        let mut truncated_sst = 1u32.to_le_bytes().to_vec();
        truncated_sst.extend_from_slice(&1u32.to_le_bytes());
        truncated_sst.extend_from_slice(&[200, 0, 0, b'a']);
        let short_bound = {
            let mut s = bof(0x0005);
            s.extend(rec(BOUNDSHEET, &[0, 0, 0]));
            s
        };
        for (what, s, want) in [
            ("empty", Vec::new(), XlsError::Unreadable),
            (
                "half a header",
                vec![0x09, 0x08, 0x10],
                XlsError::Unreadable,
            ),
            (
                "record past the end",
                good[..30].to_vec(),
                XlsError::Unreadable,
            ),
            ("sheet past the stream", past_end, XlsError::Unreadable),
            ("BIFF5", biff5, XlsError::OldFormat),
            ("BIFF4", rec(0x0409, &[0; 6]), XlsError::OldFormat),
            ("encrypted", encrypted, XlsError::Encrypted),
            (
                "SST shorter than its string",
                stream(&[rec(SST, &truncated_sst)], &[]),
                XlsError::Unreadable,
            ),
            ("BOUNDSHEET too short", short_bound, XlsError::Unreadable),
        ] {
            assert_eq!(from_stream(s).err(), Some(want), "{what}");
        }
    }

    #[test]
    fn short_cell_records_are_skipped() {
        // Cell records too short for their fields give no cell (calamine slices past them).
        let s = stream(
            &[],
            &[(
                "S",
                vec![
                    rec(NUMBER, &[0, 0, 0, 0]),
                    rec(RK, &[0, 0]),
                    rec(LABELSST, &[0; 9]),
                    rec(LABEL, &[0, 0, 0, 0, 0, 0, 9, 0]),
                    rec(MULRK, &[1]),
                    rec(BOOLERR, &[0; 7]),
                    rec(FORMULA, &[0; 13]),
                    rec(STRING, &[5]),
                    number(1, 1, 4.0),
                ],
            )],
        );
        let book = from_stream(s.clone()).expect("opens");
        let got = cells(&book, "S");
        // A sheet whose last record runs past the stream is damaged.
        let cut = from_stream(s[..s.len() - 2].to_vec()).expect("the globals are whole");
        assert!(matches!(
            cut.cells("S", |_, _, _| Ok::<(), ()>(())),
            Err(CellsError::Damaged)
        ));
        // Only the whole NUMBER is a cell; a LABEL cut before its flags byte is none.
        assert_eq!(got.get(&(1, 1)), Some(&Data::Float(4.0)));
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn one_long_string_in_every_cell_is_no_memory_bomb() {
        // One 32,000-character shared string (split over CONTINUE records as Excel does) in
        // 1,100 cells of tab 2: 35 MB of cell text from a 40 KB file. Refused by the text
        // budget of the grid instead of being copied into every cell.
        let text = vec![b'A'; 32_000];
        let mut sst = 1u32.to_le_bytes().to_vec();
        sst.extend_from_slice(&1u32.to_le_bytes());
        sst.extend_from_slice(&32_000u16.to_le_bytes());
        sst.push(0);
        sst.extend_from_slice(&text[..8000]);
        let mut extra = vec![rec(SST, &sst)];
        for chunk in text[8000..].chunks(8000) {
            let mut c = vec![0];
            c.extend_from_slice(chunk);
            extra.push(rec(CONTINUE, &c));
        }
        let book = |cells: u16| {
            let tab2: Vec<Vec<u8>> = (0..cells).map(|r| label_sst(r, 3, 0)).collect();
            crate::sample::xls_from_stream(&stream(
                &extra,
                &[
                    ("1 Avisos JSON", vec![]),
                    ("2 Resultados", tab2),
                    ("3 Pantallas", vec![]),
                    ("4 CFDI", vec![]),
                ],
            ))
        };
        let set = crate::generate(&crate::TestSetId {
            semilla: 1,
            folio: "0501423523".to_string(),
            ronda: 1,
            fecha: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        });
        let codes = |bytes: &[u8]| -> Vec<String> {
            crate::check(bytes, "e.xls", &set)
                .expect_err("refused")
                .codes()
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        let small = book(100);
        assert!(!codes(&small).contains(&"HOJA_DEMASIADO_EXTENSA".to_string()));
        let bomb = book(1100);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        assert!(codes(&bomb).contains(&"HOJA_DEMASIADO_EXTENSA".to_string()));
    }
}
