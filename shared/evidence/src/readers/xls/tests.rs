//! The reader against hand-built streams, the writers' fixtures and hostile input.

use super::*;
use calamine::{CellErrorType, Data};
use std::collections::BTreeMap;

pub(super) fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

pub(super) fn bof(dt: u16) -> Vec<u8> {
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

pub(super) fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
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
pub(super) fn stream(extra: &[Vec<u8>], sheets: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
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
    let bytes = include_bytes!("../../../testdata/evidencias.xls");
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
