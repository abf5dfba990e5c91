//! Writes a sample evidence workbook (.xlsx), or a test-set package (.zip).
//!
//! `cargo run -p avisos-evidence --example sample -- OUT.xlsx [semilla folio ronda fecha] [--wrong-amount=E03] [--omit-tab=N] [--zip=broken|bomb|traversal] [--cfdi-sin-deduccion] [--json-incorrecto] [--bytes=N]`
//! `cargo run -p avisos-evidence --example sample -- OUT.zip [semilla folio ronda fecha]` writes the package.
//! Defaults: the fixture set (20261123, 0501423523, 1, 2026-11-23); see testdata/README.md.

use avisos_evidence::sample::{SampleOptions, ZipVariant, workbook_xlsx};
use avisos_evidence::{TestSetId, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (flags, positional): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| a.starts_with("--"));
    let out = positional
        .first()
        .ok_or("usage: sample OUT.xlsx|OUT.zip [semilla folio ronda fecha] [flags]")?;
    let id = TestSetId {
        semilla: positional.get(1).map_or(Ok(20_261_123), |s| s.parse())?,
        folio: positional
            .get(2)
            .map_or("0501423523".to_string(), |s| s.to_string()),
        ronda: positional.get(3).map_or(Ok(1), |s| s.parse())?,
        fecha: positional
            .get(4)
            .map_or(Ok("2026-11-23".parse()?), |s| s.parse())?,
    };
    let set = generate(&id);
    if out.ends_with(".zip") {
        std::fs::write(out, set.package_zip())?;
        return Ok(());
    }
    let mut options = SampleOptions::default();
    for flag in flags {
        let (key, value) = flag.split_once('=').unwrap_or((flag.as_str(), ""));
        match key {
            "--wrong-amount" => options.wrong_amount_case = Some(value.to_string()),
            "--omit-tab" => options.omit_tab = Some(value.parse()?),
            "--zip" => {
                options.zip = match value {
                    "broken" => ZipVariant::Broken,
                    "bomb" => ZipVariant::Bomb,
                    "traversal" => ZipVariant::PathTraversal,
                    _ => ZipVariant::Valid,
                }
            }
            "--cfdi-sin-deduccion" => options.cfdi_without_deduction = true,
            "--json-incorrecto" => options.wrong_json = true,
            "--bytes" => options.pad_to_bytes = Some(value.parse()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    std::fs::write(out, workbook_xlsx(&set, &options))?;
    Ok(())
}
