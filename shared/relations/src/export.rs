//! «Exportar tabla»: the relations table as a real .xlsx (rust_xlsxwriter), with the guide's
//! columns in order, a bold header row frozen at the top, typed date cells shown as the guide
//! shows dates (`07/mar/2024`, Spanish month names whatever the reader's locale), an autofilter
//! over the whole table, set column widths, and the Spanish sheet name «Relaciones de confianza».
//!
//! The «Acuse» column holds the folio of the addition's acuse, «Cancelación» the folio of the
//! cancellation's acuse (empty while the relation was not cancelled); in the developer's
//! read-only export both are empty, since acuses belong to the employer.
//!
//! A «Relación no vigente» whose developer's certification it was granted under was cancelled
//! carries the reason as a note on its «Estatus» cell (the column keeps the guide's wording; an
//! expired one needs no note: «Fin de vigencia» says it).
//!
//! Memory: the workbook holds every cell until it is written (about 1 KB per row in total with
//! the rows themselves), so 10,000 relations stay in the tens of megabytes; BENCHMARKS.md has the
//! measurements.

use crate::RelationError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Note, Workbook,
    Worksheet, XlsxError,
};

use crate::relation::{MOTIVO_CERTIFICACION_CANCELADA, Row};

pub const SHEET_NAME: &str = "Relaciones de confianza";
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The guide's columns, in order, with their widths (characters).
pub const COLUMNS: [(&str, f64); 10] = [
    ("No. de Caso", 14.0),
    ("RFC", 16.0),
    ("Razón social", 44.0),
    ("Servicios de Intercomunicación", 18.0),
    ("Fecha inicio vigencia", 14.0),
    ("Fin de vigencia", 14.0),
    ("Fecha cancelación anticipada", 16.0),
    ("Estatus", 30.0),
    ("Acuse", 14.0),
    ("Cancelación", 14.0),
];
/// `07/mar/2024` with Spanish (Mexico, LCID 080A) month abbreviations.
pub const DATE_FORMAT: &str = "[$-80A]dd/mmm/yyyy";

fn xlsx_error(e: XlsxError) -> RelationError {
    RelationError::internal(format!("xlsx: {e}"))
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, RelationError> {
    let year = u16::try_from(d.year()).map_err(|_| RelationError::internal("date out of range"))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).map_err(xlsx_error)
}

/// The file name offered for download, e.g. `relaciones-EDE200101AB0-2026-11-23.xlsx`.
pub fn file_name(rfc: &str, today: NaiveDate) -> String {
    let rfc: String = rfc.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("relaciones-{rfc}-{today}.xlsx")
}

/// Builds the workbook. `rows` in the order shown in the table.
pub fn xlsx(rows: &[Row], now: DateTime<Utc>) -> Result<Vec<u8>, RelationError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_timestamp(now.timestamp()).map_err(xlsx_error)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("Relaciones de confianza del Servicio de Intercomunicación")
            .set_company("INFONAVIT")
            .set_creation_datetime(&created),
    );
    let guinda = Color::RGB(0x691C32);
    let header = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(guinda)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin);
    let date = Format::new()
        .set_num_format(DATE_FORMAT)
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);

    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_NAME).map_err(xlsx_error)?;
    for (col, (title, width)) in COLUMNS.iter().enumerate() {
        let col = col as u16;
        sheet
            .write_string_with_format(0, col, *title, &header)
            .map_err(xlsx_error)?;
        sheet.set_column_width(col, *width).map_err(xlsx_error)?;
    }
    sheet.set_row_height(0, 32).map_err(xlsx_error)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;

    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| RelationError::internal("too many rows"))?;
        write_row(sheet, row, r, &text, &date)?;
    }
    let last_row =
        u32::try_from(rows.len()).map_err(|_| RelationError::internal("too many rows"))?;
    sheet
        .autofilter(0, 0, last_row, (COLUMNS.len() - 1) as u16)
        .map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// One relation's row of the sheet (`row` counts from 1, below the header).
fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    r: &Row,
    text: &Format,
    date: &Format,
) -> Result<(), RelationError> {
    let strings: [(u16, &str); 5] = [
        (0, &r.no_caso),
        (1, &r.rfc),
        (2, &r.razon_social),
        (3, r.servicio),
        (7, r.estatus),
    ];
    for (col, value) in strings {
        sheet
            .write_string_with_format(row, col, value, text)
            .map_err(xlsx_error)?;
    }
    if let Some(m) = r
        .motivo
        .as_ref()
        .filter(|m| m.codigo == MOTIVO_CERTIFICACION_CANCELADA)
    {
        let note = Note::new(&m.texto).add_author_prefix(false);
        sheet.insert_note(row, 7, &note).map_err(xlsx_error)?;
    }
    sheet
        .write_datetime_with_format(row, 4, excel_date(r.fecha_inicio_vigencia)?, date)
        .map_err(xlsx_error)?;
    sheet
        .write_datetime_with_format(row, 5, excel_date(r.fin_vigencia)?, date)
        .map_err(xlsx_error)?;
    match r.fecha_cancelacion_anticipada {
        Some(d) => sheet.write_datetime_with_format(row, 6, excel_date(d)?, date),
        None => sheet.write_blank(row, 6, date),
    }
    .map_err(xlsx_error)?;
    let folio_of = |path: &Option<String>| {
        path.as_deref()
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or("")
            .to_string()
    };
    for (col, value) in [(8, folio_of(&r.acuse)), (9, folio_of(&r.acuse_cancelacion))] {
        if value.is_empty() {
            sheet.write_blank(row, col, text)
        } else {
            sheet.write_string_with_format(row, col, value, text)
        }
        .map_err(xlsx_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Servicio;
    use crate::relation::{Cancellation, Relation, Viewer};
    use crate::testutil::*;
    use calamine::{Data, Reader, Xlsx};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn relation(n: usize, cancelled: bool) -> Relation {
        Relation {
            no_caso: format!("{:010}", 500_000_000 + n),
            patron_rfc: PATRON.into(),
            patron_nombre: name_of(PATRON).into(),
            desarrollador_rfc: DEV.into(),
            desarrollador_nombre: "NÓMINAS DEMOSTRACIÓN SA DE CV".into(),
            servicio: Servicio::Avisos,
            inicio_vigencia: d(2024, 3, 7),
            fin_vigencia: d(2025, 3, 7),
            registrada: t0(),
            generacion_contrasena: 1,
            generacion_certificacion: Some(1),
            cancelacion: cancelled.then(|| Cancellation {
                fecha: d(2024, 3, 8),
                instante: t0(),
                folio: "0500009999".into(),
            }),
        }
    }

    fn read(bytes: &[u8]) -> (Vec<String>, calamine::Range<Data>) {
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let names = book.sheet_names();
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        (names, range)
    }

    fn date_of(cell: &Data) -> NaiveDate {
        match cell {
            Data::DateTime(dt) => dt.as_datetime().unwrap().date(),
            other => panic!("not a date cell: {other:?}"),
        }
    }

    #[test]
    fn columns_rows_and_typed_dates() {
        let today = d(2024, 6, 1);
        let rows = vec![
            Row::new(&relation(2, true), today, Viewer::Patron),
            Row::new(&relation(1, false), d(2024, 3, 7), Viewer::Patron),
        ];
        let bytes = xlsx(&rows, t0()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let (names, range) = read(&bytes);
        assert_eq!(names, [SHEET_NAME]);
        assert_eq!(range.get_size(), (3, 10));
        let header: Vec<String> = (0..10)
            .map(|c| range.get((0, c)).unwrap().to_string())
            .collect();
        assert_eq!(header, COLUMNS.map(|(t, _)| t.to_string()));
        let cell = |r: usize, c: usize| range.get((r, c)).unwrap();
        assert_eq!(cell(1, 0).to_string(), "0500000002");
        assert_eq!(cell(1, 1).to_string(), DEV);
        assert_eq!(cell(1, 2).to_string(), "NÓMINAS DEMOSTRACIÓN SA DE CV");
        assert_eq!(cell(1, 3).to_string(), "Avisos");
        assert_eq!(date_of(cell(1, 4)), d(2024, 3, 7));
        assert_eq!(date_of(cell(1, 5)), d(2025, 3, 7));
        assert_eq!(date_of(cell(1, 6)), d(2024, 3, 8));
        assert_eq!(cell(1, 7).to_string(), "Relación cancelada por usuario");
        assert_eq!(cell(1, 8).to_string(), "0500000002");
        assert_eq!(cell(1, 9).to_string(), "0500009999");
        assert_eq!(cell(2, 7).to_string(), "Relación Vigente");
        assert_eq!(cell(2, 6), &Data::Empty);
        assert_eq!(cell(2, 9), &Data::Empty);
    }

    #[test]
    fn workbook_has_filter_widths_frozen_header_and_spanish_date_format() {
        let rows = vec![Row::new(&relation(1, false), d(2024, 3, 7), Viewer::Patron)];
        let bytes = xlsx(&rows, t0()).unwrap();
        // Inspect the sheet's XML directly for what calamine does not expose.
        let mut zip = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(zip.contains(r#"<autoFilter ref="A1:J2"/>"#), "{zip}");
        assert!(zip.contains(r#"<pane ySplit="1""#), "{zip}");
        assert!(zip.contains("<cols>") && zip.contains(r#"customWidth="1""#));
        zip = zip_entry(&bytes, "xl/styles.xml");
        assert!(zip.contains("[$-80A]dd/mmm/yyyy"), "{zip}");
        let workbook = zip_entry(&bytes, "xl/workbook.xml");
        assert!(workbook.contains("_xlnm._FilterDatabase"));
    }

    fn zip_entry(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut f = archive.by_name(name).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).unwrap();
        s
    }

    #[test]
    fn a_relation_of_a_cancelled_certification_says_why_in_a_note() {
        use crate::directory::{CertStatus, Developer};
        let developer = |estatus, generacion| Developer {
            rfc: DEV.into(),
            razon_social: name_of(DEV).into(),
            estatus,
            actualizado: t0(),
            folio: "0500000001".into(),
            registrado_por: DEV.into(),
            generacion,
            certificacion: None,
            anterior: None,
        };
        let today = d(2024, 3, 7);
        let row = |dev: &Developer| {
            Row::with_developer(&relation(1, false), today, Viewer::Patron, Some(dev))
        };
        // Certified again (generation 2): the relation of generation 1 is no longer usable.
        let stale = row(&developer(CertStatus::Autorizada, 2));
        let live = row(&developer(CertStatus::Autorizada, 1));
        assert_eq!(
            (stale.estatus, live.estatus),
            ("Relación no vigente", "Relación Vigente")
        );
        let bytes = xlsx(&[stale.clone(), live], t0()).unwrap();
        let (_, range) = read(&bytes);
        assert_eq!(
            range.get((1, 7)).unwrap().to_string(),
            "Relación no vigente"
        );
        assert_eq!(range.get((2, 7)).unwrap().to_string(), "Relación Vigente");
        let comments = zip_entry(&bytes, "xl/comments1.xml");
        let texto = stale.motivo.unwrap().texto;
        assert!(texto.contains("registra una nueva relación"), "{texto}");
        assert!(comments.contains(r#"ref="H2""#), "{comments}");
        assert!(comments.contains(&texto), "{comments}");
        assert!(!comments.contains(r#"ref="H3""#), "{comments}");
    }

    #[test]
    fn developer_export_has_no_acuses() {
        let rows = vec![Row::new(
            &relation(1, true),
            d(2024, 3, 7),
            Viewer::Desarrollador,
        )];
        let (_, range) = read(&xlsx(&rows, t0()).unwrap());
        assert_eq!(range.get((1, 1)).unwrap().to_string(), PATRON);
        assert_eq!(range.get((1, 8)).unwrap(), &Data::Empty);
        assert_eq!(range.get((1, 9)).unwrap(), &Data::Empty);
    }

    #[test]
    fn empty_table_still_has_its_header() {
        let (_, range) = read(&xlsx(&[], t0()).unwrap());
        assert_eq!(range.get_size(), (1, 10));
    }

    #[test]
    fn file_name_is_safe() {
        assert_eq!(
            file_name("EDE200101AB0", d(2026, 11, 23)),
            "relaciones-EDE200101AB0-2026-11-23.xlsx"
        );
        assert_eq!(
            file_name("A&B\"/x", d(2026, 1, 2)),
            "relaciones-ABx-2026-01-02.xlsx"
        );
    }
}
