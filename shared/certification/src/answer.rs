//! The JSON bodies the certification endpoints answer beyond the request itself
//! ([`crate::view`]): an act's answer, the body of a rejected workbook, and the words shown next
//! to the acuse de cancelación.

use avisos_acts::acuse::{self, AcuseRecord};
use avisos_evidence::Rejection;
use serde::Serialize;

use crate::error::CertificationError;
use crate::notify::Notification;
use crate::view::CertificationView;

/// What the page and the API say next to the acuse de cancelación (the guide's words).
pub const AVISO_CANCELACION: &str = "Descarga el acuse de cancelación, solo se mostrará en esta sesión. Para volver a certificar tendrás que volver a realizar la solicitud.";

/// The answer body of an act (schema `CertificacionRegistrada`).
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    #[serde(flatten)]
    pub registro: acuse::Receipt,
    pub certificacion: CertificationView,
    pub notificaciones: Vec<Notification>,
}

impl Registered {
    pub fn new(
        acuse: &AcuseRecord,
        certificacion: CertificationView,
        notificaciones: Vec<Notification>,
    ) -> Registered {
        Registered {
            registro: acuse::Receipt::of(acuse),
            certificacion,
            notificaciones,
        }
    }
}

/// The answer body of the cancellation (schema `CancelacionRegistrada`): the acuse de
/// cancelación comes inside it, once, and is not linked.
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    #[serde(flatten)]
    pub registro: acuse::Receipt,
    pub certificacion: CertificationView,
    pub acuse_cancelacion: CancellationReceipt,
    pub notificaciones: Vec<Notification>,
}

/// The acuse de cancelación as the cancellation hands it over.
#[derive(Debug, Clone, Serialize)]
pub struct CancellationReceipt {
    pub pdf_base64: String,
    /// The one-use download (`token` is the session's).
    pub descarga: String,
    pub solo_esta_sesion: bool,
    pub aviso: &'static str,
}

impl Cancelled {
    /// `pdf` is the acuse rendered; `token` the one-use download token.
    pub fn new(
        acuse: &AcuseRecord,
        pdf: &[u8],
        token: &str,
        certificacion: CertificationView,
        notificaciones: Vec<Notification>,
    ) -> Cancelled {
        use base64::Engine;
        Cancelled {
            registro: acuse::Receipt::unlinked(acuse),
            acuse_cancelacion: CancellationReceipt {
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
                descarga: crate::links::cancellation_receipt(&certificacion.folio, token),
                solo_esta_sesion: true,
                aviso: AVISO_CANCELACION,
            },
            certificacion,
            notificaciones,
        }
    }
}

/// The body of a rejected workbook ([`CertificationError::EvidenceRejected`]):
/// `{codigo, mensaje, problemas}`.
pub fn rejection_body(r: &Rejection) -> serde_json::Value {
    let e = CertificationError::EvidenceRejected {
        problems: r.problems.len(),
    };
    serde_json::json!({
        "codigo": e.codigo(),
        "mensaje": e.mensaje(),
        "problemas": r.problems,
    })
}
