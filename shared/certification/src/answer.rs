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
