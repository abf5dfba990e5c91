//! A sheet's cells: references bounded to Excel's grid, values by their type attribute.

use calamine::{CellErrorType, Data};
use quick_xml::events::Event;

use super::xml::{attr, element_text, rich_text, skip, unescape_excel};
use super::{MAX_COLUMNS, MAX_ROWS, Workbook, XlsxError, XmlReader};

/// A cell reference ("B7", 1-based in the text) as 0-based (row, column), inside Excel's grid.
pub(super) fn cell_ref(text: &str) -> Option<(u32, u32)> {
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col_part, row_part) = text.split_at_checked(letters)?;
    let col = column_number(col_part)?;
    let row = row_number(row_part)?;
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

/// Column letters as a 1-based number, at most [`MAX_COLUMNS`].
pub(super) fn column_number(letters: &str) -> Option<u32> {
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
pub(super) fn row_number(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let row: u32 = digits.parse().ok()?;
    (1..=MAX_ROWS).contains(&row).then_some(row)
}

impl Workbook<'_> {
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
