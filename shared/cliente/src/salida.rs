//! The avisos received, one file per employer in the output folder: `<RFC>.jsonl` (one change per
//! line: `posicion`, `cambio` and the `aviso` as the service sent it) or `<RFC>.csv` (a header,
//! then `posicion`, `cambio` and the aviso's fields in the order of the official layout). Files
//! only grow: a replaced aviso is a new line with `cambio` = `reemplazado`, so the file is the
//! employer's change history and its last line per `folio_aviso` is the current aviso.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Formato {
    /// JSON lines.
    Jsonl,
    /// CSV with a header.
    Csv,
}

pub struct Salida {
    carpeta: PathBuf,
    formato: Formato,
}

impl Salida {
    /// Creates the folder if needed.
    pub fn new(carpeta: &Path, formato: Formato) -> Result<Salida, Error> {
        std::fs::create_dir_all(carpeta).map_err(|e| Error::archivo(carpeta, e))?;
        Ok(Salida {
            carpeta: carpeta.to_path_buf(),
            formato,
        })
    }

    pub fn ruta(&self, rfc: &str) -> PathBuf {
        let ext = match self.formato {
            Formato::Jsonl => "jsonl",
            Formato::Csv => "csv",
        };
        self.carpeta.join(format!("{rfc}.{ext}"))
    }

    /// Cuts an employer's output back to `bytes`, what the state committed (what a run wrote
    /// after its last save is fetched again).
    pub fn recortar(&self, rfc: &str, bytes: u64) -> Result<(), Error> {
        let ruta = self.ruta(rfc);
        match std::fs::OpenOptions::new().write(true).open(&ruta) {
            Ok(f) => {
                let len = f.metadata().map_err(|e| Error::archivo(&ruta, e))?.len();
                if len > bytes {
                    f.set_len(bytes).map_err(|e| Error::archivo(&ruta, e))?;
                    f.sync_all().map_err(|e| Error::archivo(&ruta, e))?;
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::archivo(&ruta, e)),
        }
    }

    /// Appends `cambios` (as the service sent them) and returns the output's new length, once
    /// it is on disk.
    pub fn agregar(&self, rfc: &str, cambios: &[Value]) -> Result<u64, Error> {
        let ruta = self.ruta(rfc);
        let err = |e: &dyn std::fmt::Display| Error::archivo(&ruta, e);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&ruta)
            .map_err(|e| err(&e))?;
        let empty = f.metadata().map_err(|e| err(&e))?.len() == 0;
        let mut buf = Vec::new();
        match self.formato {
            Formato::Jsonl => {
                for c in cambios {
                    serde_json::to_writer(&mut buf, c).map_err(|e| err(&e))?;
                    buf.push(b'\n');
                }
            }
            Formato::Csv => {
                let mut w = csv::Writer::from_writer(&mut buf);
                if empty {
                    let mut header = vec!["posicion", "cambio"];
                    header.extend(avisos_aviso::FIELDS);
                    w.write_record(&header).map_err(|e| err(&e))?;
                }
                for c in cambios {
                    let mut row = vec![c["posicion"].to_string(), text(&c["cambio"])];
                    row.extend(avisos_aviso::FIELDS.iter().map(|f| text(&c["aviso"][*f])));
                    w.write_record(&row).map_err(|e| err(&e))?;
                }
                w.flush().map_err(|e| err(&e))?;
            }
        }
        f.write_all(&buf).map_err(|e| err(&e))?;
        f.sync_data().map_err(|e| err(&e))?;
        Ok(f.metadata().map_err(|e| err(&e))?.len())
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
