//! Test support for `tests/browser`:
//!
//! - `avisos-browser-support evidencia <sqlite_key_value.db> <folio> <salida.xlsx>` writes the
//!   evidence workbook (.xlsx) that a developer's payroll system would produce for a certification
//!   request, from the test set the service generated for it. The set's seed is the server's
//!   secret, so it is read from the app's store (the SQLite file of the host the browser tests
//!   run), as the e2e tests do. `--sin-pestana=N` leaves tab N out (a workbook to be refused).
//! - `avisos-browser-support avisos <salida.json>` writes a file of valid avisos for the analyst's
//!   «Publicación de avisos» screen: the avisos of a generated test set.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use avisos_e2e::host_kv;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_evidence::{TestSetId, generate};
use avisos_host::kv::SqliteKv;

const USO: &str = "uso: avisos-browser-support evidencia <sqlite_key_value.db> <folio> <salida.xlsx> [--sin-pestana=N]\n     avisos-browser-support avisos <salida.json>";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, db, folio, out] if command == "evidencia" => evidence(db, folio, out, None),
        [command, db, folio, out, flag] if command == "evidencia" => {
            let tab = flag
                .strip_prefix("--sin-pestana=")
                .with_context(|| format!("opción desconocida: {flag}"))?
                .parse()?;
            evidence(db, folio, out, Some(tab))
        }
        [command, out] if command == "avisos" => avisos(out),
        _ => bail!("{USO}"),
    }
}

fn evidence(db: &str, folio: &str, out: &str, omit_tab: Option<u8>) -> anyhow::Result<()> {
    let store = SqliteKv::open(Path::new(db)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let kv = host_kv(Arc::new(store));
    let record = avisos_certification::record::load(&kv, folio)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.codigo(), e.mensaje()))?
        .with_context(|| format!("no hay solicitud con folio {folio}"))?;
    let set = generate(&record.test_set_id());
    let options = SampleOptions {
        omit_tab,
        ..SampleOptions::default()
    };
    std::fs::write(out, workbook_xlsx(&set, &options))
        .with_context(|| format!("no se pudo escribir {out}"))
}

fn avisos(out: &str) -> anyhow::Result<()> {
    let set = generate(&TestSetId {
        semilla: 7,
        folio: "0000000001".to_string(),
        ronda: 1,
        fecha: "2026-11-23".parse()?,
    });
    std::fs::write(out, serde_json::to_vec_pretty(&set.avisos)?)
        .with_context(|| format!("no se pudo escribir {out}"))
}
