//! The acts: request, evidence upload, dictamen, acceptance, cancellation, and the developer's
//! and analyst's reads. Each act checks, then writes in the crate's write order around the
//! record [`crate::transition`] builds. Every function receives the store, the clock (and the
//! seal, randomness) from the component; see the crate documentation for the write order.
//!
//! - `SOLICITAR_CERTIFICACION` in [`request`](mod@request);
//! - «Enviar archivo» and the stored workbook in [`upload`](mod@upload);
//! - `DICTAMINAR_CERTIFICACION` in [`dictamen`];
//! - `ACEPTAR_APROBACION` in [`accept`](mod@accept);
//! - `CANCELAR_CERTIFICACION` and the one-time acuse de cancelación in [`cancel`](mod@cancel);
//! - the developer's latest request and the analyst's tray in [`listing`];
//! - what each act writes to the developer in [`emails`].

use avisos_acts::acuse::AcuseRecord;
use avisos_calendar::Calendar;
use avisos_kv::{KeyValue, index};
use avisos_relations::directory;
use chrono::{DateTime, Utc};

use crate::deadline;
use crate::error::CertificationError;
use crate::notify::{self, Notification};
use crate::record::{self, Certification};
use crate::status::StoredEstatus;
use crate::view::{self, CertificationView, Viewer};

pub mod accept;
pub mod cancel;
pub mod dictamen;
pub mod emails;
pub mod listing;
pub mod request;
pub mod upload;

pub use accept::accept;
pub use cancel::{cancel, take_cancellation_receipt};
pub use dictamen::dictaminar;
pub use emails::test_set_attachment;
pub use listing::{Tray, current, list, status_filter};
pub use request::request;
pub use upload::{Upload, UploadError, check_upload, media_type, round, stored_workbook, upload};

/// Fields of `SOLICITAR_CERTIFICACION`, in cadena order.
pub const REQUEST_FIELDS: [&str; 2] = ["razon_social", "correo"];
/// Fields of `ACEPTAR_APROBACION` and `CANCELAR_CERTIFICACION`.
pub const FOLIO_FIELDS: [&str; 1] = ["folio"];
/// Fields of `DICTAMINAR_CERTIFICACION`.
pub const DICTAMEN_FIELDS: [&str; 3] = ["folio", "resultado", "observaciones"];
pub const MAX_OBSERVACIONES: usize = 2_000;
pub const MAX_CORREO: usize = 254;
/// Records one analyst listing reads at most (the index is read whole, records up to this).
pub const MAX_LISTED: usize = 1_000;
pub const LIST_PAGE: usize = 50;

pub const ACUSE_SOLICITUD: &str = "Solicitud de Certificación";
pub const ACUSE_DICTAMEN: &str = "Dictamen de Certificación";
pub const ACUSE_APROBACION: &str = "Aprobación de Certificación";
pub const ACUSE_CANCELACION: &str = "Acuse de Cancelación de Certificación";

fn status_index(s: StoredEstatus) -> String {
    format!("certificaciones:estatus:{}", s.clave())
}

fn developer_index(rfc: &str) -> String {
    format!("certificaciones:desarrollador:{}", rfc.to_uppercase())
}

/// The calendar a record's deadline needs (none runs, or it has not started: the official
/// rules alone, nothing read).
pub fn calendar_of(kv: &dyn KeyValue, c: &Certification) -> Result<Calendar, CertificationError> {
    match c.deadline_year() {
        Some(y) => deadline::calendar_for(kv, y, y),
        None => Ok(Calendar::official()),
    }
}

/// What an act answers: its acuse, the request as it ended, the notifications it produced.
#[derive(Debug, Clone)]
pub struct Done {
    pub acuse: AcuseRecord,
    pub certification: Certification,
    pub notifications: Vec<Notification>,
}

impl Done {
    /// Sends this transition's notifications now (with up to [`notify::RETRY_PER_ACT`] queued
    /// ones; without a mail API they stay in the portal inbox), the test set attached where one
    /// goes; the notifications as they ended.
    pub async fn deliver<F, Fut>(
        &self,
        kv: &dyn KeyValue,
        mail: Option<&notify::MailConfig>,
        now: DateTime<Utc>,
        send: F,
    ) -> Result<Vec<Notification>, CertificationError>
    where
        F: Fn(notify::MailRequest) -> Fut,
        Fut: Future<Output = Result<u16, String>>,
    {
        let ids: Vec<String> = self.notifications.iter().map(|n| n.id.clone()).collect();
        notify::deliver(
            kv,
            mail,
            &ids,
            notify::RETRY_PER_ACT,
            now,
            |n| test_set_attachment(kv, n),
            send,
        )
        .await
    }

    /// The request after this transition, as `viewer` sees it at `now` (its deadline started
    /// if the e-mail that starts it was delivered meanwhile).
    pub fn view(
        &self,
        kv: &dyn KeyValue,
        now: DateTime<Utc>,
        viewer: Viewer,
    ) -> Result<CertificationView, CertificationError> {
        let mut c = self.certification.clone();
        record::resolve_plazo(kv, &mut c)?;
        let cal = calendar_of(kv, &c)?;
        Ok(view::view(&c, &cal, now, viewer))
    }
}

/// Completes what an act leaves after its commit point (the record's compare-and-swap), from
/// the record as it stands: the folio listed in its own status index and the developer's, and
/// in no other status index; once authorised, the directory record without the one it replaced;
/// once cancelled, the claim released and the directory told. Every
/// act runs it after its commit, and an act refused because the record is already past it runs
/// it again, so the retry of an act interrupted after its commit finishes it. Idempotent, and
/// nothing readers rely on: trays check every entry against its record, and the directory
/// follows the request's record (`avisos_relations::directory::load`).
pub fn settle(kv: &dyn KeyValue, c: &Certification) -> Result<(), CertificationError> {
    index::add(kv, &developer_index(&c.rfc), &[&c.folio])?;
    index::add(kv, &status_index(c.estatus), &[&c.folio])?;
    for s in StoredEstatus::ALL.into_iter().filter(|s| *s != c.estatus) {
        index::remove(kv, &status_index(s), &c.folio)?;
    }
    if c.estatus == StoredEstatus::Autorizada {
        directory::confirm(kv, &c.rfc, &c.folio)?;
    }
    if c.estatus == StoredEstatus::Cancelada {
        // Free the claim only if it still names this request.
        kv.compare_and_swap(&record::claim_key(&c.rfc), Some(c.folio.as_bytes()), b"")?;
        if let Some(fc) = &c.folio_cancelacion {
            directory::revoke(kv, &c.rfc, &c.folio, fc, c.actualizada)?;
        }
    }
    Ok(())
}

/// [`settle`] where its failure must not change the answer (the act already took effect, or is
/// refused anyway): what it left undone is done by the next act on the request.
fn settle_quietly(kv: &dyn KeyValue, c: &Certification) {
    let _ = settle(kv, c);
}
