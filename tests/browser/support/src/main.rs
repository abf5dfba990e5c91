//! Test support for `tests/browser`: writes the evidence workbook (.xlsx) that a developer's
//! payroll system would produce for a certification request, from the test set the service
//! generated for it. The set's seed is the server's secret, so it is read from the app's store
//! (the SQLite file of the host the browser tests run), as the e2e tests do.
//!
//! `avisos-browser-support evidencia <sqlite_key_value.db> <folio> <salida.xlsx>`

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use avisos_e2e::HostKv;
use avisos_evidence::generate;
use avisos_evidence::sample::{SampleOptions, workbook_xlsx};
use avisos_host::kv::SqliteKv;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, db, folio, out] = args.as_slice() else {
        bail!("uso: avisos-browser-support evidencia <sqlite_key_value.db> <folio> <salida.xlsx>");
    };
    if command != "evidencia" {
        bail!("comando desconocido: {command}");
    }
    let store = SqliteKv::open(Path::new(db)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let kv = HostKv(Arc::new(store));
    let record = avisos_certification::record::load(&kv, folio)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.codigo, e.mensaje))?
        .with_context(|| format!("no hay solicitud con folio {folio}"))?;
    let set = generate(&record.test_set_id());
    std::fs::write(out, workbook_xlsx(&set, &SampleOptions::default()))
        .with_context(|| format!("no se pudo escribir {out}"))?;
    Ok(())
}
