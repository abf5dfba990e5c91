//! The state file: per employer, the cursor to continue from and the length its output had when
//! that cursor was saved. Saved after every request by writing a new file and renaming it over
//! the old one, so the state on disk is always one whole save.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

const VERSION: u32 = 1;

/// One employer's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Avance {
    /// The cursor of the last answer whose changes are in the output.
    pub cursor: String,
    /// The output's length in bytes right after those changes were written.
    pub bytes: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Archivo {
    version: u32,
    patrones: BTreeMap<String, Avance>,
}

/// The state of a run, bound to its file.
#[derive(Debug)]
pub struct Estado {
    ruta: PathBuf,
    patrones: BTreeMap<String, Avance>,
}

impl Estado {
    /// Reads the state file; a missing file is a first run.
    pub fn cargar(ruta: &Path) -> Result<Estado, Error> {
        let patrones = match std::fs::read(ruta) {
            Ok(bytes) => {
                let a: Archivo = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::Formato(format!(
                        "{} no es un archivo de estado: {e}",
                        ruta.display()
                    ))
                })?;
                if a.version != VERSION {
                    return Err(Error::Formato(format!(
                        "{}: versión de estado {} desconocida",
                        ruta.display(),
                        a.version
                    )));
                }
                a.patrones
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::archivo(ruta, e)),
        };
        Ok(Estado {
            ruta: ruta.to_path_buf(),
            patrones,
        })
    }

    pub fn avance(&self, rfc: &str) -> Option<&Avance> {
        self.patrones.get(rfc)
    }

    pub fn anotar(&mut self, rfc: &str, avance: Avance) {
        self.patrones.insert(rfc.to_string(), avance);
    }

    /// Writes the state: a temporary file beside it, flushed to disk, renamed over it.
    pub fn guardar(&self) -> Result<(), Error> {
        let archivo = Archivo {
            version: VERSION,
            patrones: self.patrones.clone(),
        };
        let bytes =
            serde_json::to_vec_pretty(&archivo).map_err(|e| Error::Formato(e.to_string()))?;
        let mut tmp = self.ruta.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::archivo(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| Error::archivo(&tmp, e))?;
        f.sync_all().map_err(|e| Error::archivo(&tmp, e))?;
        std::fs::rename(&tmp, &self.ruta).map_err(|e| Error::archivo(&self.ruta, e))
    }
}
