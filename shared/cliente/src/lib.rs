//! `avisos-cliente`: the reference client of the avisos service (issue 19), for a payroll system
//! that keeps many employers' avisos in sync.
//!
//! - [`api`]: the HTTP API as a client uses it: the e.firma login (nonce, cadena original,
//!   signature made here: the private key never leaves the process) and the batch of
//!   consultations (`POST /api/v1/avisos/consultas/lote`), logging in again when the session ends
//!   and waiting when the service asks to.
//! - [`patrones`]: the file that lists the employers, each with the file of its service password.
//! - [`estado`]: the state file: each employer's cursor and how much of its output is committed.
//! - [`salida`]: the avisos written per employer, as JSON lines or CSV.
//! - [`sincronizar`]: the run: up to 100 employers per request, each followed from its cursor to
//!   the end of its changes; a second run fetches only what changed.
//!
//! **Exactly once across interruptions**: after each request the client appends what it received
//! and then saves the state (atomically: a new file renamed over the old one) with each cursor and
//! the length its output had then. A run that starts cuts every output back to the length the
//! state recorded, so changes written after the last save (by a run that was interrupted) are
//! dropped and fetched again from the saved cursor: no change is lost or written twice.

pub mod api;
pub mod estado;
pub mod patrones;
pub mod salida;
pub mod sincronizar;

/// Why the client stopped or refused something, in Spanish for the person running it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The e.firma could not be opened (the reason as `efirma` gives it).
    #[error("e.firma: {0}")]
    Efirma(String),
    /// The service could not be reached or answered something that is not its API.
    #[error("conexión con el servicio: {0}")]
    Conexion(String),
    /// The service refused the request as a whole.
    #[error("el servicio rechazó la solicitud ({estatus} {codigo}): {mensaje}")]
    Servicio {
        estatus: u16,
        codigo: String,
        mensaje: String,
    },
    /// A local file could not be read or written.
    #[error("{ruta}: {detalle}")]
    Archivo { ruta: String, detalle: String },
    /// The employers file or the state file is not as expected.
    #[error("{0}")]
    Formato(String),
}

impl Error {
    pub(crate) fn archivo(ruta: &std::path::Path, e: impl std::fmt::Display) -> Error {
        Error::Archivo {
            ruta: ruta.display().to_string(),
            detalle: e.to_string(),
        }
    }
}
