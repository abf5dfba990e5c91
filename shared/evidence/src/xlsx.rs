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
//! zip (whose directory `workbook::Package` judged first), never read whole.
//!
//! What it reads, by local name (any namespace prefix, as Excel and LibreOffice write): the
//! package relationships (`officeDocument` → the workbook part), the workbook's `sheet`
//! elements and relationships, `si` of the shared strings (`t` texts, phonetic `rPh` runs left
//! out, `_xHHHH_` escapes decoded), a sheet's `row`/`c` (types `s`, `str`, `inlineStr`, `b`,
//! `e`, `d`, `n`), and its pictures: the `blip` of each drawing anchor, and in-cell pictures
//! (cells with `vm`, through `xl/richData`), each counted when its media part exists.
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

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use calamine::{CellErrorType, Data};
use quick_xml::events::{BytesStart, Event};

/// Excel's grid: references beyond it are refused, never wrapped.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;
/// Most shared strings, and most text in them, read from one workbook (the evidence workbook
/// has a few hundred strings; its largest is tab 1's base64, a few MB).
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
pub const MAX_SHARED_TEXT: usize = 32 * 1024 * 1024;
/// Most bytes read from one part (the package's directory is judged before: ≤ 96 MiB total).
const MAX_PART_BYTES: u64 = 96 * 1024 * 1024;
/// Picture kinds counted, as calamine lists them.
const MEDIA_KINDS: [&str; 13] = [
    "emf", "wmf", "pict", "jpeg", "jpg", "png", "dib", "gif", "tiff", "tif", "eps", "bmp", "wpg",
];

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

/// Normalized part name: forward slashes, no leading slash, `.` and `..` resolved, lower case
/// (package part names are case-insensitive). `None` when `..` climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let lowered = path.replace('\\', "/").to_ascii_lowercase();
    for segment in lowered.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// The folder of a part ("xl/worksheets/sheet1.xml" → "xl/worksheets").
fn folder(part: &str) -> &str {
    part.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// A relationship target resolved against the folder of the part that names it.
fn resolve(base_folder: &str, target: &str) -> Option<String> {
    if let Some(absolute) = target.strip_prefix('/') {
        normalize(absolute)
    } else {
        normalize(&format!("{base_folder}/{target}"))
    }
}

/// The relationships part of a part ("xl/workbook.xml" → "xl/_rels/workbook.xml.rels").
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// An attribute's value by local name, entities decoded.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

/// A cell reference ("B7", 1-based in the text) as 0-based (row, column), inside Excel's grid.
fn cell_ref(text: &str) -> Option<(u32, u32)> {
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col_part, row_part) = text.split_at_checked(letters)?;
    let col = column_number(col_part)?;
    let row = row_number(row_part)?;
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

/// Column letters as a 1-based number, at most [`MAX_COLUMNS`].
fn column_number(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        let digit = u32::from(b.to_ascii_uppercase().checked_sub(b'A')?).checked_add(1)?;
        col = col.checked_mul(26)?.checked_add(digit)?;
    }
    (col <= MAX_COLUMNS).then_some(col)
}

/// A 1-based row number, at most [`MAX_ROWS`].
fn row_number(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let row: u32 = digits.parse().ok()?;
    (1..=MAX_ROWS).contains(&row).then_some(row)
}

/// Excel's `_xHHHH_` escapes (UTF-16 code units, surrogate pairs as two escapes).
fn unescape_excel(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("_x") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(
            char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
        );
    };
    while !rest.is_empty() {
        let escape = rest
            .strip_prefix("_x")
            .and_then(|r| r.get(..5))
            .filter(|h| h.ends_with('_'))
            .and_then(|h| h.get(..4))
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        match escape {
            Some(unit) => {
                units.push(unit);
                rest = rest.get(7..).unwrap_or("");
            }
            None => {
                flush(&mut units, &mut out);
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    flush(&mut units, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Reads the text inside the element just opened (`<t>`, `<v>`) up to its end: text, CDATA
/// and entity references. Nested elements are skipped.
fn element_text(
    xml: &mut XmlReader<'_, '_>,
    buf: &mut Vec<u8>,
    text: &mut String,
) -> Result<(), XlsxError> {
    text.clear();
    let mut depth = 0usize;
    loop {
        buf.clear();
        match xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?
        {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(s) = quick_xml::escape::resolve_xml_entity(&r) {
                    text.push_str(s);
                } else if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    return Err(XlsxError::Unreadable);
                }
            }
            Event::Start(_) => depth = depth.saturating_add(1),
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
        if text.len() > MAX_SHARED_TEXT {
            return Err(XlsxError::TooLarge);
        }
    }
}

/// A rich string (`si`, `is`) up to its end: its `t` texts, phonetic runs (`rPh`) left out.
fn rich_text(
    xml: &mut XmlReader<'_, '_>,
    buf: &mut Vec<u8>,
    scratch: &mut String,
) -> Result<String, XlsxError> {
    let mut text = String::new();
    let mut depth = 0usize;
    let mut phonetic = 0usize;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" if phonetic == 0 => {
                    let preserve = attr(&e, "space").is_some_and(|v| v == "preserve");
                    element_text(xml, buf, scratch)?;
                    let t = if preserve {
                        scratch.as_str()
                    } else {
                        scratch.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    text.push_str(&unescape_excel(t));
                    if text.len() > MAX_SHARED_TEXT {
                        return Err(XlsxError::TooLarge);
                    }
                }
                name => {
                    if name == "rPh" {
                        phonetic = phonetic.saturating_add(1);
                    }
                    depth = depth.saturating_add(1);
                }
            },
            Event::End(e) => {
                if depth == 0 {
                    return Ok(text);
                }
                if e.local_name().as_ref() == "rPh" {
                    phonetic = phonetic.saturating_sub(1);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
    }
}

/// Skips the element just opened, to its end.
fn skip(xml: &mut XmlReader<'_, '_>, buf: &mut Vec<u8>) -> Result<(), XlsxError> {
    let mut depth = 0usize;
    loop {
        buf.clear();
        match xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?
        {
            Event::Start(_) => depth = depth.saturating_add(1),
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
    }
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

    /// Hands each cell of a sheet to `sink` as (row, column, value), 0-based, in file order,
    /// until the sheet ends or `sink` says stop (`Err`).
    pub fn cells<E>(
        &mut self,
        name: &str,
        mut sink: impl FnMut(u32, u32, Data) -> Result<(), E>,
    ) -> Result<(), CellsError<E>> {
        let part = self
            .sheet_part(name)
            .ok_or(CellsError::Xlsx(XlsxError::Unreadable))?;
        let strings = std::mem::take(&mut self.strings);
        let result = self.read_cells(&part, &strings, &mut sink);
        self.strings = strings;
        result
    }

    fn read_cells<E>(
        &mut self,
        part: &str,
        strings: &[String],
        sink: &mut impl FnMut(u32, u32, Data) -> Result<(), E>,
    ) -> Result<(), CellsError<E>> {
        let damaged = CellsError::Xlsx(XlsxError::Unreadable);
        let Some(mut xml) = self.reader(part).map_err(CellsError::Xlsx)? else {
            return Err(damaged);
        };
        let mut buf = Vec::new();
        let mut inner = Vec::new();
        let mut scratch = String::new();
        let (mut row, mut col) = (0u32, 0u32);
        loop {
            buf.clear();
            let event = xml
                .read_event_into(&mut buf)
                .map_err(|_| CellsError::Xlsx(XlsxError::Unreadable))?;
            match event {
                Event::Start(e) if e.local_name().as_ref() == "row" => {
                    if let Some(r) = attr(&e, "r") {
                        row = row_number(&r)
                            .and_then(|n| n.checked_sub(1))
                            .ok_or(CellsError::Xlsx(XlsxError::Unreadable))?;
                    }
                    col = 0;
                }
                Event::End(e) if e.local_name().as_ref() == "row" => {
                    row = row.saturating_add(1).min(MAX_ROWS);
                    col = 0;
                }
                Event::Start(e) if e.local_name().as_ref() == "c" => {
                    // References and types never hold entities: their raw values will do.
                    let (mut reference, mut typ) = (None, None);
                    for a in e.attributes().flatten() {
                        match a.key.local_name().as_ref() {
                            "r" => reference = Some(a.value),
                            "t" => typ = Some(a.value),
                            _ => {}
                        }
                    }
                    let (at_row, at_col) = match reference {
                        Some(r) => cell_ref(&r).ok_or(CellsError::Xlsx(XlsxError::Unreadable))?,
                        None => (row, col),
                    };
                    let value =
                        cell_value(&mut xml, &mut inner, &mut scratch, typ.as_deref(), strings)
                            .map_err(CellsError::Xlsx)?;
                    col = at_col.saturating_add(1).min(MAX_COLUMNS);
                    if let Some(value) = value {
                        sink(at_row, at_col, value).map_err(CellsError::Sink)?;
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "sheetData" => return Ok(()),
                Event::Eof => return Ok(()),
                _ => {}
            }
        }
    }

    /// The kind ("png", "jpeg"...) of each picture shown on a sheet: drawing anchors and
    /// in-cell pictures whose media part exists.
    pub fn pictures(&mut self, name: &str) -> Result<Vec<String>, XlsxError> {
        let Some(sheet) = self.sheet_part(name) else {
            return Ok(Vec::new());
        };
        let mut kinds = Vec::new();
        let drawings: Vec<String> = self
            .rels(&sheet)?
            .into_iter()
            .filter(|r| r.typ.ends_with("/drawing"))
            .filter_map(|r| r.target)
            .collect();
        for drawing in drawings {
            let images = self.image_rels(&drawing)?;
            let mut found = Vec::new();
            self.each_start(&drawing, |e, _, _| {
                if e.local_name().as_ref() == "blip"
                    && let Some(media) = attr(e, "embed").and_then(|id| images.get(&id).cloned())
                {
                    found.push(media);
                }
                Ok(())
            })?;
            kinds.extend(found.into_iter().filter_map(|m| self.media_kind(&m)));
        }
        kinds.extend(self.in_cell_pictures(&sheet)?);
        Ok(kinds)
    }

    /// A part's image relationships: id → media part.
    fn image_rels(&mut self, part: &str) -> Result<HashMap<String, String>, XlsxError> {
        Ok(self
            .rels(part)?
            .into_iter()
            .filter(|r| r.typ.ends_with("/image"))
            .filter_map(|r| Some((r.id, r.target?)))
            .collect())
    }

    /// The kind of a media part that exists and is a picture.
    fn media_kind(&self, media: &str) -> Option<String> {
        let kind = media.rsplit_once('.')?.1.to_ascii_lowercase();
        (self.has_part(media) && MEDIA_KINDS.contains(&kind.as_str())).then_some(kind)
    }

    /// Pictures placed in cells (Excel's «Colocar en la celda»): a cell's `vm` (1-based) picks
    /// a rich value of `xl/richData/rdrichvalue.xml`, whose first `v` picks a relationship of
    /// `richValueRel.xml`, which names the media. Read the way calamine does.
    fn in_cell_pictures(&mut self, sheet: &str) -> Result<Vec<String>, XlsxError> {
        const REL_PART: &str = "xl/richData/richValueRel.xml";
        let images = self.image_rels(REL_PART)?;
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let mut rel_ids = Vec::new();
        self.each_start(REL_PART, |e, _, _| {
            if e.local_name().as_ref() == "rel" {
                rel_ids.push(attr(e, "id").unwrap_or_default());
            }
            Ok(())
        })?;
        let mut first_values: Vec<Option<usize>> = Vec::new();
        self.each_start("xl/richData/rdrichvalue.xml", |e, xml, buf| {
            if e.local_name().as_ref() == "rv" {
                let mut first = None;
                loop {
                    buf.clear();
                    match xml
                        .read_event_into(buf)
                        .map_err(|_| XlsxError::Unreadable)?
                    {
                        Event::Start(v) if v.local_name().as_ref() == "v" => {
                            let mut text = String::new();
                            element_text(xml, buf, &mut text)?;
                            if first.is_none() {
                                first = Some(text.trim().parse::<usize>().ok());
                            }
                        }
                        Event::Start(_) => skip(xml, buf)?,
                        Event::End(_) => break,
                        Event::Eof => return Err(XlsxError::Unreadable),
                        _ => {}
                    }
                }
                first_values.push(first.flatten());
            }
            Ok(())
        })?;
        let mut media = Vec::new();
        self.each_start(sheet, |e, _, _| {
            if e.local_name().as_ref() == "c"
                && let Some(vm) = attr(e, "vm").and_then(|v| v.trim().parse::<usize>().ok())
                && let Some(Some(rel)) = vm.checked_sub(1).and_then(|i| first_values.get(i))
                && let Some(path) = rel_ids.get(*rel).and_then(|id| images.get(id))
            {
                media.push(path.clone());
            }
            Ok(())
        })?;
        Ok(media
            .into_iter()
            .filter_map(|m| self.media_kind(&m))
            .collect())
    }
}

/// A cell's value from its content (`v`, `is`), by its type attribute; `None` for none.
fn cell_value(
    xml: &mut XmlReader<'_, '_>,
    buf: &mut Vec<u8>,
    scratch: &mut String,
    typ: Option<&str>,
    strings: &[String],
) -> Result<Option<Data>, XlsxError> {
    let mut value = None;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(buf)
            .map_err(|_| XlsxError::Unreadable)?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "is" => value = Some(Data::String(rich_text(xml, buf, scratch)?)),
                "v" if typ == Some("inlineStr") => skip(xml, buf)?,
                "v" => {
                    element_text(xml, buf, scratch)?;
                    value = typed(scratch, typ, strings);
                }
                _ => skip(xml, buf)?,
            },
            Event::End(_) => return Ok(value),
            Event::Eof => return Err(XlsxError::Unreadable),
            _ => {}
        }
    }
}

/// A `v` text as the cell's type says; what does not parse is no value.
fn typed(text: &str, typ: Option<&str>, strings: &[String]) -> Option<Data> {
    let trimmed = text.trim();
    match typ {
        Some("s") => strings
            .get(trimmed.parse::<usize>().ok()?)
            .map(|s| Data::String(s.clone())),
        Some("str") => Some(Data::String(unescape_excel(text).into_owned())),
        Some("b") => match trimmed.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(Data::Bool(true)),
            "0" | "false" => Some(Data::Bool(false)),
            _ => None,
        },
        Some("e") => Some(Data::Error(match trimmed {
            "#DIV/0!" => CellErrorType::Div0,
            "#N/A" => CellErrorType::NA,
            "#NAME?" => CellErrorType::Name,
            "#NULL!" => CellErrorType::Null,
            "#NUM!" => CellErrorType::Num,
            "#REF!" => CellErrorType::Ref,
            "#VALUE!" => CellErrorType::Value,
            "#GETTING_DATA" => CellErrorType::GettingData,
            _ => return None,
        })),
        Some("d") => (!trimmed.is_empty()).then(|| Data::DateTimeIso(trimmed.to_string())),
        Some("n") => trimmed.parse::<f64>().ok().map(Data::Float),
        None if trimmed.is_empty() => None,
        None => Some(
            trimmed
                .parse::<f64>()
                .map_or_else(|_| Data::String(text.to_string()), Data::Float),
        ),
        Some(_) => None,
    }
}

/// Why [`Workbook::cells`] stopped early.
pub enum CellsError<E> {
    Xlsx(XlsxError),
    Sink(E),
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

    fn cells(book: &mut Workbook<'_>, name: &str) -> BTreeMap<(u32, u32), Data> {
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
        let bytes = include_bytes!("../testdata/evidencias.xlsx");
        let mut ours = open(bytes).expect("the fixture opens");
        let mut theirs: calamine::Xlsx<_> =
            calamine::Xlsx::new(Cursor::new(&bytes[..])).expect("calamine opens it");
        assert_eq!(ours.sheet_names(), theirs.sheet_names());
        let mut compared = 0;
        for name in theirs.sheet_names() {
            let range = theirs.worksheet_range(&name).expect("range");
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let mine = cells(&mut ours, &name);
            let mut expected = BTreeMap::new();
            for (r, c, v) in range.used_cells() {
                expected.insert((r0 + r as u32, c0 + c as u32), v.clone());
            }
            assert_eq!(mine.len(), expected.len(), "{name}");
            for (pos, theirs) in &expected {
                match (&mine[pos], theirs) {
                    (Data::Float(a), Data::DateTime(b)) => assert_eq!(*a, b.as_f64()),
                    (mine, theirs) => assert_eq!(mine, theirs, "{name} {pos:?}"),
                }
                compared += 1;
            }
            let their_pictures: Vec<String> = theirs
                .pictures_with_metadata()
                .into_iter()
                .filter(|p| p.sheet_name == name)
                .map(|p| p.extension.to_ascii_lowercase())
                .collect();
            assert_eq!(
                ours.pictures(&name).expect("pictures"),
                their_pictures,
                "{name}"
            );
        }
        assert!(compared > 50, "{compared}");
    }

    #[test]
    fn pictures_over_cells_and_in_cells_count_as_calamine_counts_them() {
        use calamine::Reader;
        use rust_xlsxwriter::{Image, Workbook as Writer};
        let png = crate::sample::screenshot_png(1, 0);
        let image = Image::new_from_buffer(&png).expect("png");
        let mut wb = Writer::new();
        wb.add_worksheet().set_name("vacía").expect("name");
        let ws = wb.add_worksheet().set_name("encima").expect("name");
        ws.insert_image(1, 1, &image).expect("insert");
        ws.insert_image(9, 1, &image).expect("insert");
        let ws = wb.add_worksheet().set_name("en celda").expect("name");
        ws.embed_image(2, 2, &image).expect("embed");
        let bytes = wb.save_to_buffer().expect("xlsx");
        let mut ours = open(&bytes).expect("opens");
        let theirs: calamine::Xlsx<_> =
            calamine::Xlsx::new(Cursor::new(&bytes[..])).expect("opens");
        for (name, count) in [("vacía", 0), ("encima", 2), ("en celda", 1)] {
            let mine = ours.pictures(name).expect("pictures");
            let theirs: Vec<String> = theirs
                .pictures_with_metadata()
                .into_iter()
                .filter(|p| p.sheet_name == name)
                .map(|p| p.extension)
                .collect();
            assert_eq!(mine.len(), count, "{name}: {mine:?}");
            assert_eq!(mine, theirs, "{name}");
        }
    }

    #[test]
    fn references_outside_the_grid_are_refused() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
        for bad in [
            "",
            "A",
            "1",
            "A0",
            "XFE1",
            "A1048577",
            "A99999999999",
            "AAAA1",
            "A1B",
            "Ñ1",
            "A-1",
        ] {
            assert_eq!(cell_ref(bad), None, "{bad}");
        }
    }

    #[test]
    fn excel_escapes_are_decoded() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("_xD83D__xDCF7_"), "📷");
        assert_eq!(unescape_excel("_xD83D_x"), "\u{FFFD}x");
        assert_eq!(unescape_excel("_x12"), "_x12");
        assert_eq!(unescape_excel("ñ_x0041_"), "ñA");
    }

    #[test]
    fn parts_resolve_like_paths() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml").as_deref(),
            Some("xl/worksheets/sheet1.xml")
        );
        assert_eq!(
            resolve("xl/drawings", "../media/image1.png").as_deref(),
            Some("xl/media/image1.png")
        );
        assert_eq!(
            resolve("xl", "/XL/Sheet.xml").as_deref(),
            Some("xl/sheet.xml")
        );
        assert_eq!(resolve("", "../../x"), None);
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
    }
}
