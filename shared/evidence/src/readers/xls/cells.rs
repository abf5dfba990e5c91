//! A sheet's cell values: numbers, RK numbers, shared and inline strings, booleans and errors,
//! and the cached values of formulas.

use calamine::{CellErrorType, Data};

use super::records::{f64_at, u16_at, u32_at};
use super::strings::unicode_string;
use super::{BOOLERR, FORMULA, LABEL, LABELSST, MULRK, NUMBER, RK, RSTRING, STRING, Workbook};

impl Workbook {
    /// Hands each cell of a sheet to `sink` as (row, column, value), 0-based, in file order,
    /// until the sheet ends or `sink` says stop (`Err`). Cells of embedded substreams
    /// (charts) are skipped.
    pub fn cells<E>(
        &self,
        name: &str,
        mut sink: impl FnMut(u32, u32, Data) -> Result<(), E>,
    ) -> Result<(), CellsError<E>> {
        let records = self.sheet_records(name).ok_or(CellsError::Damaged)?;
        // Where the last formula whose value is text stands: its STRING record follows.
        let mut pending_string: Option<(u32, u32)> = None;
        for record in records {
            let record = record.map_err(|_| CellsError::Damaged)?;
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
