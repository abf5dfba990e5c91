//! Sample evidence workbooks (.xlsx) for tests, browser tests, benchmarks and fuzz seeds, plus
//! the empty template shipped in every test-set package.
//!
//! A valid sample answers its set exactly: tab 1 carries the package's own JSON files zipped and
//! base64-encoded in column A, tab 2 the expected amounts with the steps of
//! [`crate::retention`], tab 3 a small PNG, tab 4 an unsealed CFDI de nómina with a
//! `TipoDeduccion="010"` deduction. [`SampleOptions`] breaks one thing at a time.

use std::io::Write;

use base64::Engine;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, Image, Workbook, Worksheet, XlsxError,
};

use crate::money;
use crate::testset::{TestSet, TipoCaso, zip_files};
use crate::workbook::TAB_NAMES;

/// What to break in a sample.
#[derive(Default, Clone, Debug)]
pub struct SampleOptions {
    /// Report this case's amount one peso too high.
    pub wrong_amount_case: Option<String>,
    /// Leave out this tab (1-4).
    pub omit_tab: Option<u8>,
    pub zip: ZipVariant,
    /// The CFDI's only deduction is ISR (002), not the housing credit.
    pub cfdi_without_deduction: bool,
    /// One aviso in the JSON files differs from the set (its valor_descuento).
    pub wrong_json: bool,
    /// Grow tab 3's picture (incompressible pixels) so the file has exactly this many bytes
    /// (padding the zip comment for the last bytes); ignored when smaller than the sample.
    pub pad_to_bytes: Option<usize>,
}

/// The inner zip of tab 1.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub enum ZipVariant {
    #[default]
    Valid,
    /// Truncated: not a readable zip.
    Broken,
    /// Holds a 20 MiB file of spaces compressed about 1000:1.
    Bomb,
    /// Holds a JSON file named `../../avisos/consulta-3.json`.
    PathTraversal,
}

/// Base64 chunk size in tab 1 (an Excel cell holds at most 32,767 characters).
pub const BASE64_CHUNK: usize = 32_000;

/// A sample evidence workbook for `set`.
pub fn workbook_xlsx(set: &TestSet, options: &SampleOptions) -> Vec<u8> {
    let base = build(set, options, 0).unwrap_or_default();
    let Some(target) = options.pad_to_bytes else {
        return base;
    };
    if target <= base.len() {
        return base;
    }
    // Grow the picture until the file is just under the target, then pad the zip comment.
    let mut extra = target - base.len();
    let mut best = base;
    for _ in 0..6 {
        let Ok(bytes) = build(set, options, extra) else {
            break;
        };
        if bytes.len() <= target && target - bytes.len() <= u16::MAX as usize {
            return pad_comment(bytes, target);
        }
        let diff = target as i64 - bytes.len() as i64;
        // Aim 32 KiB short of the target so the comment can take the rest.
        extra = (extra as i64 + diff - 32 * 1024).max(0) as usize;
        best = bytes;
    }
    best
}

/// The empty template of a test-set package: four tabs, one row per case, no amounts.
pub fn template_xlsx(set: &TestSet) -> Vec<u8> {
    template(set).unwrap_or_default()
}

fn properties(set: &TestSet) -> Result<DocProperties, XlsxError> {
    use chrono::Datelike;
    let d = set.id.fecha;
    let created = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
    Ok(DocProperties::new()
        .set_title("Evidencias de certificación - Servicio de Intercomunicación de Avisos")
        .set_author("INFONAVIT (set de pruebas)")
        .set_creation_datetime(&created))
}

fn template(set: &TestSet) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&properties(set)?);
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet().set_name(TAB_NAMES[0])?;
    ws.write_string_with_format(
        0,
        0,
        "Pega desde A2 el .zip de los JSON en base64 (trozos de hasta 32,000 caracteres)",
        &bold,
    )?;
    let ws = wb.add_worksheet().set_name(TAB_NAMES[1])?;
    results_header(ws, &bold)?;
    let mut row = 1;
    for tipo in [TipoCaso::Muestra, TipoCaso::Evaluacion] {
        ws.write_string_with_format(row, 0, section_title(tipo), &bold)?;
        row += 1;
        for caso in set.casos.iter().filter(|c| c.tipo == tipo) {
            ws.write_string(row, 0, &caso.id)?;
            ws.write_string(row, 1, caso.tipo.as_str())?;
            row += 1;
        }
    }
    let ws = wb.add_worksheet().set_name(TAB_NAMES[2])?;
    ws.write_string_with_format(
        0,
        2,
        "Inserta aquí las capturas de pantalla de tu sistema",
        &bold,
    )?;
    let ws = wb.add_worksheet().set_name(TAB_NAMES[3])?;
    ws.write_string_with_format(
        0,
        2,
        "Pega en la columna A, desde A1, el XML del CFDI de nómina sin sellar",
        &bold,
    )?;
    wb.save_to_buffer()
}

fn section_title(tipo: TipoCaso) -> &'static str {
    match tipo {
        TipoCaso::Muestra => "Muestras del cálculo de retenciones",
        TipoCaso::Evaluacion => "Evaluación para el cálculo de retenciones",
    }
}

fn results_header(ws: &mut Worksheet, bold: &Format) -> Result<(), XlsxError> {
    for (col, title) in [
        "Caso", "Tipo", "Monto", "Paso 1", "Paso 2", "Paso 3", "Paso 4",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col as u16, *title, bold)?;
    }
    Ok(())
}

fn build(
    set: &TestSet,
    options: &SampleOptions,
    extra_pixels: usize,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&properties(set)?);
    let bold = Format::new().set_bold();
    let included = |tab: u8| options.omit_tab != Some(tab);

    if included(1) {
        let ws = wb.add_worksheet().set_name(TAB_NAMES[0])?;
        ws.write_string_with_format(
            0,
            0,
            "Archivo .zip con los JSON del servicio (base64)",
            &bold,
        )?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(avisos_zip(set, options));
        for (i, chunk) in encoded.as_bytes().chunks(BASE64_CHUNK).enumerate() {
            ws.write_string(i as u32 + 1, 0, String::from_utf8_lossy(chunk))?;
        }
    }
    if included(2) {
        let ws = wb.add_worksheet().set_name(TAB_NAMES[1])?;
        results_rows(ws, set, options, &bold)?;
    }
    if included(3) {
        let ws = wb.add_worksheet().set_name(TAB_NAMES[2])?;
        ws.write_string_with_format(0, 0, "Pantallas del sistema", &bold)?;
        let screenshot = Image::new_from_buffer(&screenshot_png(set.id.semilla, 0))?;
        ws.insert_image(2, 1, &screenshot)?;
        if extra_pixels > 0 {
            let padding = Image::new_from_buffer(&screenshot_png(set.id.semilla, extra_pixels))?;
            ws.insert_image(30, 1, &padding)?;
        }
    }
    if included(4) {
        let ws = wb.add_worksheet().set_name(TAB_NAMES[3])?;
        let xml = cfdi_xml(set, options.cfdi_without_deduction);
        let chars: Vec<char> = xml.chars().collect();
        for (i, chunk) in chars.chunks(BASE64_CHUNK).enumerate() {
            ws.write_string(i as u32, 0, chunk.iter().collect::<String>())?;
        }
    }
    wb.save_to_buffer()
}

/// Tab 2 of a sample: the header, then each section's cases (muestras with their steps).
fn results_rows(
    ws: &mut Worksheet,
    set: &TestSet,
    options: &SampleOptions,
    bold: &Format,
) -> Result<(), XlsxError> {
    results_header(ws, bold)?;
    let mut row = 1;
    for tipo in [TipoCaso::Muestra, TipoCaso::Evaluacion] {
        ws.write_string_with_format(row, 0, section_title(tipo), bold)?;
        row += 1;
        for caso in set.casos.iter().filter(|c| c.tipo == tipo) {
            let Some(calculo) = set.calculo(caso) else {
                continue;
            };
            let mut total = calculo.total;
            if options.wrong_amount_case.as_deref() == Some(caso.id.as_str()) {
                total += 100;
            }
            ws.write_string(row, 0, &caso.id)?;
            ws.write_string(row, 1, caso.tipo.as_str())?;
            ws.write_number(row, 2, total as f64 / 100.0)?;
            if tipo == TipoCaso::Muestra {
                let mut col = 3u16;
                for paso in &calculo.pasos {
                    ws.write_string(row, col, format!("{}: {}", paso.bimestre, paso.detalle))?;
                    col += 1;
                }
                ws.write_string(
                    row,
                    col,
                    format!(
                        "Seguro de daños: {} ; total {}",
                        money::format(calculo.seguro_danos),
                        money::format(total)
                    ),
                )?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// The inner zip of tab 1 for the options.
pub fn avisos_zip(set: &TestSet, options: &SampleOptions) -> Vec<u8> {
    let mut files = set.aviso_files();
    if options.wrong_json
        && let Some((_, bytes)) = files.first_mut()
        && let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes)
    {
        if let Some(first) = value
            .get_mut("avisos")
            .and_then(|a| a.get_mut(0))
            .and_then(|a| a.as_object_mut())
        {
            first.insert("valor_descuento".into(), "1.00".into());
        }
        *bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
    }
    match options.zip {
        ZipVariant::Valid => zip_files(&files),
        ZipVariant::Broken => {
            let mut zip = zip_files(&files);
            zip.truncate(zip.len() / 2);
            zip
        }
        ZipVariant::Bomb => {
            files.push((
                "avisos/relleno.json".to_string(),
                vec![b' '; 20 * 1024 * 1024],
            ));
            zip_files(&files)
        }
        ZipVariant::PathTraversal => {
            let extra = files.first().map(|(_, b)| b.clone()).unwrap_or_default();
            files.push(("../../avisos/consulta-3.json".to_string(), extra));
            zip_files(&files)
        }
    }
}

/// An unsealed CFDI 4.0 de nómina 1.2 for the first muestra's worker.
pub fn cfdi_xml(set: &TestSet, without_deduction: bool) -> String {
    let caso = set.casos.first();
    let trabajador = caso.and_then(|c| set.trabajador(&c.nss));
    let importe = caso.and_then(|c| set.calculo(c)).map_or(0, |c| c.total);
    let (rfc, nombre, curp, nss, sbc) = trabajador.map_or(
        (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            0,
        ),
        |t| {
            (
                t.rfc.clone(),
                t.nombre.clone(),
                t.curp.clone(),
                t.nss.clone(),
                t.sbc,
            )
        },
    );
    let (inicio, fin) = caso.map_or((set.id.fecha, set.id.fecha), |c| {
        (c.periodo_inicio, c.periodo_fin)
    });
    let dias = (fin - inicio).num_days() + 1;
    let sueldo = sbc * dias;
    let deduccion = if without_deduction {
        format!(
            r#"<nomina12:Deducciones TotalImpuestosRetenidos="{d}"><nomina12:Deduccion TipoDeduccion="002" Clave="002" Concepto="ISR" Importe="{d}"/></nomina12:Deducciones>"#,
            d = money::format(importe)
        )
    } else {
        format!(
            r#"<nomina12:Deducciones TotalOtrasDeducciones="{d}"><nomina12:Deduccion TipoDeduccion="010" Clave="010" Concepto="Pago por crédito de vivienda" Importe="{d}"/></nomina12:Deducciones>"#,
            d = money::format(importe)
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" xmlns:nomina12="http://www.sat.gob.mx/nomina12" Version="4.0" Serie="N" Folio="{folio}" Fecha="{fin}T12:00:00" Sello="" NoCertificado="" Certificado="" SubTotal="{s}" Descuento="{d}" Moneda="MXN" Total="{t}" TipoDeComprobante="N" Exportacion="01" MetodoPago="PUE" LugarExpedicion="06600">
  <cfdi:Emisor Rfc="EDE200101AB0" Nombre="EMPRESA DEMO DESARROLLOS" RegimenFiscal="601"/>
  <cfdi:Receptor Rfc="{rfc}" Nombre="{nombre}" DomicilioFiscalReceptor="06600" RegimenFiscalReceptor="605" UsoCFDI="CN01"/>
  <cfdi:Conceptos>
    <cfdi:Concepto ClaveProdServ="84111505" Cantidad="1" ClaveUnidad="ACT" Descripcion="Pago de nómina" ValorUnitario="{s}" Importe="{s}" Descuento="{d}" ObjetoImp="01"/>
  </cfdi:Conceptos>
  <cfdi:Complemento>
    <nomina12:Nomina Version="1.2" TipoNomina="O" FechaPago="{fin}" FechaInicialPago="{inicio}" FechaFinalPago="{fin}" NumDiasPagados="{dias}" TotalPercepciones="{s}" TotalDeducciones="{d}">
      <nomina12:Emisor RegistroPatronal="{nrp}"/>
      <nomina12:Receptor Curp="{curp}" NumSeguridadSocial="{nss}" TipoContrato="01" TipoRegimen="02" NumEmpleado="1" PeriodicidadPago="05" ClaveEntFed="CMX" SalarioBaseCotApor="{sbc}"/>
      <nomina12:Percepciones TotalSueldos="{s}" TotalGravado="{s}" TotalExento="0.00">
        <nomina12:Percepcion TipoPercepcion="001" Clave="001" Concepto="Sueldo" ImporteGravado="{s}" ImporteExento="0.00"/>
      </nomina12:Percepciones>
      {deduccion}
    </nomina12:Nomina>
  </cfdi:Complemento>
</cfdi:Comprobante>
"#,
        folio = set.id.folio,
        s = money::format(sueldo),
        d = money::format(importe),
        t = money::format(sueldo - importe),
        sbc = money::format(sbc),
        nrp = set.nrp,
    )
}

/// A PNG: a small deterministic "screenshot", or with `extra` bytes of incompressible pixels.
pub fn screenshot_png(seed: u64, extra: usize) -> Vec<u8> {
    let (width, height) = if extra == 0 {
        (160u32, 90u32)
    } else {
        let width = 1024u32;
        (width, (extra / (width as usize * 3 + 1)).max(1) as u32)
    };
    let mut state = seed ^ 0x5EED_u64;
    let mut raw = Vec::with_capacity((width as usize * 3 + 1) * height as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            if extra == 0 {
                // Bars like a window: title bar, rows of a table.
                let shade = if y < 12 {
                    40
                } else if (y / 10) % 2 == 0 {
                    235
                } else {
                    210
                };
                raw.extend_from_slice(&[shade, shade, if x < 40 { 180 } else { shade }]);
            } else {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let b = (state >> 33).to_le_bytes();
                raw.extend_from_slice(&b[..3]);
            }
        }
    }
    let level = if extra == 0 {
        flate2::Compression::default()
    } else {
        flate2::Compression::none()
    };
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
    let idat = encoder
        .write_all(&raw)
        .and_then(|_| encoder.finish())
        .unwrap_or_default();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"IDAT", &idat[..]),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(kind);
        hasher.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&hasher.finalize().to_be_bytes());
    }
    png
}

/// Pads a zip to exactly `target` bytes through its archive comment (≤ 65,535 bytes).
fn pad_comment(mut zip: Vec<u8>, target: usize) -> Vec<u8> {
    let n = zip.len();
    let missing = target.saturating_sub(n);
    // End of central directory without comment: the last 22 bytes, starting PK\5\6.
    if missing == 0
        || missing > u16::MAX as usize
        || n < 22
        || &zip[n - 22..n - 18] != b"PK\x05\x06"
    {
        return zip;
    }
    zip[n - 2..].copy_from_slice(&(missing as u16).to_le_bytes());
    zip.resize(target, b' ');
    zip
}

/// Adds a part to an .xlsx package (e.g. `xl/embeddings/avisos.zip` or
/// `xl/embeddings/cfdi.xml`), declaring its extension's content type: how tools that embed the
/// files of tabs 1 and 4 instead of pasting them as text produce the workbook.
pub fn with_embedded_part(xlsx: &[u8], part_name: &str, data: &[u8]) -> Vec<u8> {
    embed(xlsx, part_name, data).unwrap_or_default()
}

fn embed(xlsx: &[u8], part_name: &str, data: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx))?;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let extension = part_name.rsplit('.').next().unwrap_or("bin");
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        let name = entry.name()?.into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes)?;
        if name == "[Content_Types].xml" {
            let text = String::from_utf8_lossy(&bytes);
            let declared = format!("Extension=\"{extension}\"");
            if !text.contains(&declared) {
                let content_type = match extension {
                    "zip" => "application/zip",
                    "xml" => "application/xml",
                    _ => "application/octet-stream",
                };
                bytes = text
                    .replacen(
                        "<Default ",
                        &format!("<Default {declared} ContentType=\"{content_type}\"/><Default "),
                        1,
                    )
                    .into_bytes();
            }
        }
        writer.start_file(name.as_str(), options)?;
        writer.write_all(&bytes)?;
    }
    writer.start_file(part_name, options)?;
    writer.write_all(data)?;
    Ok(writer.finish()?.into_inner())
}

/// An .xls container (Compound File Binary, version 3) holding `workbook` as its "Workbook"
/// stream: tests craft BIFF records with it and the `xls_stream` fuzz target feeds any bytes
/// as the stream. Layout: the FAT sectors, the directory, then the stream, padded to 4096 bytes
/// so that it lives in the FAT rather than the mini stream. Streams up to 7 MB (the header's
/// 109 FAT sectors); longer ones are cut.
pub fn xls_from_stream(workbook: &[u8]) -> Vec<u8> {
    const SECTOR: usize = 512;
    const PER_FAT: usize = SECTOR / 4;
    const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
    const FREESECT: u32 = 0xFFFF_FFFF;
    const FATSECT: u32 = 0xFFFF_FFFD;
    let mut stream = workbook[..workbook.len().min(108 * PER_FAT * SECTOR)].to_vec();
    stream.resize(stream.len().max(4096).next_multiple_of(SECTOR), 0);
    let sectors = stream.len() / SECTOR;
    // FAT sectors needed to map themselves, the directory and the stream.
    let fats = (sectors + 1).div_ceil(PER_FAT - 1);
    let mut header = vec![0u8; SECTOR];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    for (at, value) in [
        (0x18, 0x3Eu16),
        (0x1A, 3),
        (0x1C, 0xFFFE),
        (0x1E, 9),
        (0x20, 6),
    ] {
        header[at..at + 2].copy_from_slice(&value.to_le_bytes());
    }
    for (at, value) in [
        (0x2C, fats as u32),
        (0x30, fats as u32),
        (0x38, 4096),
        (0x3C, ENDOFCHAIN),
        (0x44, ENDOFCHAIN),
    ] {
        header[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    header[0x4C..].fill(0xFF);
    for i in 0..fats {
        header[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&(i as u32).to_le_bytes());
    }
    let first = fats as u32 + 1;
    let mut fat = vec![FATSECT; fats];
    fat.push(ENDOFCHAIN);
    fat.extend((first + 1..first + sectors as u32).chain([ENDOFCHAIN]));
    fat.resize(fats * PER_FAT, FREESECT);
    let entry = |name: &str, typ: u8, start: u32, size: u32| {
        let mut e = vec![0u8; 128];
        let units: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        e[..units.len()].copy_from_slice(&units);
        e[0x40..0x42].copy_from_slice(&(units.len() as u16).to_le_bytes());
        e[0x42] = typ;
        e[0x44..0x50].fill(0xFF);
        e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
        e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
        e
    };
    let mut root = entry("Root Entry", 5, ENDOFCHAIN, 0);
    root[0x4C..0x50].copy_from_slice(&1u32.to_le_bytes());
    let mut out = header;
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(root);
    out.extend(entry("Workbook", 2, first, stream.len() as u32));
    out.extend(vec![0u8; 256]);
    out.extend(stream);
    out
}
