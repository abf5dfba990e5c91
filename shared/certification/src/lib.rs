//! Certificación para desarrolladores (seed 002): everything a payroll-software developer does in
//! the tab «Certificación para desarrolladores», and what the institute's analyst does with it.
//!
//! - [`status`]: the request's estatus. Stored states `En espera de documentos` → `En análisis` →
//!   `Aprobado` → `Certificación autorizada`, `En análisis` → (inconsistencias) → `En espera de
//!   documentos` with a new test set, `Cancelada` from any live state. **`Vencida` is computed on
//!   read** when the developer's own deadline ([`record::Plazo`]) has passed; no job rewrites
//!   records. A review past its 5 days stays `En análisis`, late for the analyst
//!   ([`Certification::dias_de_atraso`]).
//! - [`deadline`]: deadlines in business days (45 to upload and 10 after inconsistencies, from the
//!   delivery of the e-mail with the test set; 5 to review, from the upload) with
//!   `avisos-calendar`, plus the days the institute declares non-working,
//!   stored per year and editable by analysts. Deadlines are recomputed on every read from where
//!   they started, so a day declared later moves every running deadline.
//! - [`transition`]: the state machine on records, pure: the record each act commits.
//! - [`workflow`]: the acts (`SOLICITAR_CERTIFICACION`, `DICTAMINAR_CERTIFICACION`,
//!   `ACEPTAR_APROBACION`, `CANCELAR_CERTIFICACION`) and the evidence upload: their checks and
//!   write order, and the e-mails they write.
//! - [`blob`]: the uploaded workbook, in chunks of at most [`blob::CHUNK_BYTES`].
//! - [`notify`]: the outbox of e-mails (set de pruebas, inconsistencias, aprobación, cancelación):
//!   every notification is stored for the recipient's portal inbox and, when a mail API is
//!   configured, sent through it; its `estado` records the outcome (no silent drop).
//! - [`view`]: the JSON the developer and the analyst see of a request; [`answer`]: the other
//!   bodies the endpoints answer (an act's, a rejected workbook's).
//!
//! Nothing here knows about Spin: time, randomness, storage and outbound sending are parameters.
//!
//! Storage layout (every request touches a bounded number of keys; listings read one index):
//!
//! | key | value |
//! | --- | --- |
//! | `certificacion:<folio>` | [`record::Certification`], the truth about a request |
//! | `certificacion:vigente:<RFC>` | claim: the folio of the developer's live request, or empty when free |
//! | `certificaciones:estatus:<clave>` | index per stored status (`en-espera`, `en-analisis`, `aprobado`, `autorizada`, `cancelada`): folios, oldest first |
//! | `certificaciones:desarrollador:<RFC>` | index: the developer's folios, oldest first |
//! | `certificacion:evidencia:<folio>:<ronda>:<carga>:<n>` | chunk `n` of an uploaded workbook |
//! | `certificacion:acuse-cancelacion:<folio>` | the sealed acuse de cancelación, kept off `acuse:<folio>` so it is handed over once |
//! | `certificacion:entrega-cancelacion:<folio>` | the one-time download: token hash, session id, delivered or not |
//! | `calendario:<año>` | the non-working days the institute added to that year |
//! | `notificacion:<id>` | [`notify::Notification`] |
//! | `notificaciones:<RFC>` | index: the recipient's notification ids, oldest first |
//! | `notificaciones:pendientes` | index: ids still to be sent through the mail API |
//!
//! Write order of every transition (whole or absent, checked by a walk of store failures over
//! every operation in `workflow_tests` and `tests/e2e/tests/fallas.rs`): checks first (nothing
//! written); then the folio and the sealed acuse; then everything the act adds, in a form
//! readers ignore until the record says so (the act's notification names its act, tray and
//! developer index entries are checked against their record, the directory follows the
//! request's record); then **one commit point**: the record swapped with compare-and-swap on the
//! exact bytes read (of two concurrent transitions one wins, the other is re-checked and
//! refused), or, for a new request, the developer's claim taken (its record is written pending
//! and counts once the claim names it); then [`workflow::settle`], the cleanup readers do not
//! need (old index entries, the claim and the directory record of a cancelled request), which
//! an act refused because the record is already past it runs again. A failure before the commit
//! leaves a sealed acuse no record names (evidence of a signed request that took no effect).

pub mod answer;
pub mod blob;
pub mod deadline;
pub mod error;
pub mod links;
pub mod notify;
pub mod record;
pub mod status;
pub mod transition;
pub mod view;
pub mod workflow;

pub use error::CertificationError;
pub use record::Certification;
pub use status::{Estatus, StoredEstatus};

use avisos_acts::session::{Role, Session};

pub use avisos_acts::pdf::fecha_guia;
pub use avisos_acts::today;

/// The request of `folio` for its owner (a developer session with the same RFC). Someone else's
/// folio answers exactly like a missing one.
pub fn require_owner(
    kv: &dyn avisos_kv::KeyValue,
    session: &Session,
    folio: &str,
) -> Result<(Certification, Vec<u8>), CertificationError> {
    session.require_role(&[Role::Desarrollador])?;
    match record::load_raw(kv, folio)? {
        Some((c, raw)) if c.rfc.eq_ignore_ascii_case(&session.rfc) => Ok((c, raw)),
        _ => Err(CertificationError::NotFound),
    }
}

/// The folio signed in `datos.folio` must be the one in the route.
pub fn require_folio(spec: &avisos_acts::ActSpec, folio: &str) -> Result<(), CertificationError> {
    if spec.field("folio") == Some(folio) {
        Ok(())
    } else {
        Err(CertificationError::FolioMismatch)
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    efirma::to_hex(bytes)
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
pub(crate) mod testutil;
#[cfg(test)]
mod workflow_tests;
