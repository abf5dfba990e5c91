//! An .xlsx reader of our own, for what the evidence check needs: the sheet names, each sheet's
//! cell values and the pictures shown on a sheet.
//!
//! calamine 0.38's .xlsx reader has the same weakness as its .xls one on hostile files:
//! `<sst uniqueCount="4000000000">` makes it reserve that many strings before reading one (an
//! allocation failure traps the wasm component), a cell reference or dimension out of range
//! overflows its arithmetic (`A99999999999`, `B5:A1`: the fuzz target found it at once), and a
//! number that its fast parser refuses but `str::parse` accepts reaches an `unwrap_err()`. So
//! the check reads the package itself with quick-xml, as calamine does, but in code that cannot
//! panic (the lints below; every number parsed with `checked_*`, references bounded to Excel's
//! 1,048,576 rows × 16,384 columns), allocates nothing from a declared count, and keeps shared
//! strings within [`MAX_SHARED_STRINGS`] and [`MAX_SHARED_TEXT`]. Parts are streamed from the
//! zip (whose directory `workbook::guard::Package` judged first), never read whole.
//!
//! What it reads, by local name (any namespace prefix, as Excel and LibreOffice write): the
//! package relationships (`officeDocument` → the workbook part), the workbook's `sheet`
//! elements and relationships, `si` of the shared strings (`t` texts, phonetic `rPh` runs left
//! out, `_xHHHH_` escapes decoded), a sheet's `row`/`c` (types `s`, `str`, `inlineStr`, `b`,
//! `e`, `d`, `n`), and its pictures: the `blip` of each drawing anchor, and in-cell pictures
//! (cells with `vm`, through `xl/richData`), each counted when its media part exists.

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};

mod cells;
mod names;
mod pictures;
mod xml;

pub use cells::CellsError;
use names::{folder, normalize, rels_of, resolve};
use xml::{attr, rich_text};

/// Excel's grid: references beyond it are refused, never wrapped.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;
/// Most shared strings, and most text in them, read from one workbook (the evidence workbook
/// has a few hundred strings; its largest is tab 1's base64, a few MB).
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
pub const MAX_SHARED_TEXT: usize = 32 * 1024 * 1024;
/// Most bytes read from one part (the package's directory is judged before: ≤ 96 MiB total).
const MAX_PART_BYTES: u64 = 96 * 1024 * 1024;

/// Why a workbook or one of its sheets cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XlsxError {
    /// Not a package we can read (zip, XML or references damaged).
    Unreadable,
    /// More shared strings or shared text than [`MAX_SHARED_STRINGS`] / [`MAX_SHARED_TEXT`].
    TooLarge,
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;
type XmlReader<'z, 'a> =
    quick_xml::Reader<BufReader<std::io::Take<zip::read::ZipFile<'z, Cursor<&'a [u8]>>>>>;

/// An opened .xlsx workbook.
pub struct Workbook<'a> {
    archive: Archive<'a>,
    /// Part name (lower case, forward slashes) → index in the archive.
    parts: HashMap<String, usize>,
    /// (name, part) of each sheet, in the workbook's order.
    sheets: Vec<(String, String)>,
    strings: Vec<String>,
}

/// One relationship: (id, type, resolved target).
struct Rel {
    id: String,
    typ: String,
    target: Option<String>,
}

/// Opens an .xlsx: the package relationships, the workbook (sheets) and the shared strings.
pub fn open(bytes: &[u8]) -> Result<Workbook<'_>, XlsxError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| XlsxError::Unreadable)?;
    let mut parts = HashMap::new();
    for i in 0..archive.len() {
        if let Some(name) = archive
            .name_for_index(i)
            .and_then(|n| n.ok())
            .and_then(|n| normalize(&n))
        {
            parts.entry(name).or_insert(i);
        }
    }
    let mut book = Workbook {
        archive,
        parts,
        sheets: Vec::new(),
        strings: Vec::new(),
    };
    let workbook_part = book
        .rels("")?
        .into_iter()
        .find(|r| r.typ.ends_with("/officeDocument"))
        .and_then(|r| r.target)
        .unwrap_or_else(|| "xl/workbook.xml".to_string());
    let rels = book.rels(&workbook_part)?;
    let target_of = |id: &str| {
        rels.iter()
            .find(|r| r.id == id)
            .and_then(|r| r.target.clone())
    };
    let mut sheets = Vec::new();
    book.each_start(&workbook_part, |e, _, _| {
        if e.local_name().as_ref() == "sheet"
            && let (Some(name), Some(path)) =
                (attr(e, "name"), attr(e, "id").and_then(|id| target_of(&id)))
        {
            sheets.push((name, path));
        }
        Ok(())
    })?
    .ok_or(XlsxError::Unreadable)?;
    book.sheets = sheets;
    let strings_part = rels
        .iter()
        .find(|r| r.typ.ends_with("/sharedStrings"))
        .and_then(|r| r.target.clone());
    if let Some(part) = strings_part {
        let mut strings = Vec::new();
        let mut text = 0usize;
        let mut scratch = String::new();
        book.each_start(&part, |e, xml, buf| {
            if e.local_name().as_ref() == "si" {
                let s = rich_text(xml, buf, &mut scratch)?;
                text = text.saturating_add(s.len());
                if strings.len() >= MAX_SHARED_STRINGS || text > MAX_SHARED_TEXT {
                    return Err(XlsxError::TooLarge);
                }
                strings.push(s);
            }
            Ok(())
        })?;
        book.strings = strings;
    }
    Ok(book)
}

impl<'a> Workbook<'a> {
    /// A part's XML reader, `None` when the package has no such part.
    fn reader(&mut self, part: &str) -> Result<Option<XmlReader<'_, 'a>>, XlsxError> {
        let Some(index) = normalize(part).and_then(|p| self.parts.get(&p).copied()) else {
            return Ok(None);
        };
        let entry = self
            .archive
            .by_index(index)
            .map_err(|_| XlsxError::Unreadable)?;
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry.take(MAX_PART_BYTES)));
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = false;
        config.trim_text(false);
        Ok(Some(xml))
    }

    /// Calls `each` with every element start of a part, with the reader positioned after it
    /// (so `each` may read the element's content). `Ok(None)` when the part is missing.
    fn each_start(
        &mut self,
        part: &str,
        mut each: impl FnMut(
            &BytesStart<'_>,
            &mut XmlReader<'_, '_>,
            &mut Vec<u8>,
        ) -> Result<(), XlsxError>,
    ) -> Result<Option<()>, XlsxError> {
        let Some(mut xml) = self.reader(part)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        let mut inner = Vec::new();
        loop {
            buf.clear();
            match xml
                .read_event_into(&mut buf)
                .map_err(|_| XlsxError::Unreadable)?
            {
                Event::Start(e) => each(&e, &mut xml, &mut inner)?,
                Event::Eof => return Ok(Some(())),
                _ => {}
            }
        }
    }

    /// The relationships of a part ("" = the package's), targets resolved. None are none.
    fn rels(&mut self, part: &str) -> Result<Vec<Rel>, XlsxError> {
        let (rels_part, base) = if part.is_empty() {
            ("_rels/.rels".to_string(), String::new())
        } else {
            (rels_of(part), folder(part).to_string())
        };
        let mut rels = Vec::new();
        self.each_start(&rels_part, |e, _, _| {
            if e.local_name().as_ref() == "Relationship" {
                let external = attr(e, "TargetMode").is_some_and(|m| m == "External");
                rels.push(Rel {
                    id: attr(e, "Id").unwrap_or_default(),
                    typ: attr(e, "Type").unwrap_or_default(),
                    target: attr(e, "Target")
                        .filter(|_| !external)
                        .and_then(|t| resolve(&base, &t)),
                });
            }
            Ok(())
        })?;
        Ok(rels)
    }

    /// The sheet names, in the workbook's order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|(n, _)| n.clone()).collect()
    }

    fn sheet_part(&self, name: &str) -> Option<String> {
        self.sheets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
    }

    fn has_part(&self, part: &str) -> bool {
        normalize(part).is_some_and(|p| self.parts.contains_key(&p))
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
