//! How the refusals of `avisos-certification` travel: the status of each
//! [`CertificationError`], the lower layers' refusals as they travel themselves.

use avisos_certification::CertificationError;

use super::{Error, with_status};

impl From<CertificationError> for Error {
    fn from(e: CertificationError) -> Error {
        let status = match &e {
            CertificationError::Act(act) => return act.clone().into(),
            CertificationError::Relation(relation) => return relation.clone().into(),
            CertificationError::Store(kv) => return kv.clone().into(),
            CertificationError::FolioMismatch
            | CertificationError::FileNameRequired
            | CertificationError::FileEmpty
            | CertificationError::RazonSocialInvalid
            | CertificationError::EmailInvalid
            | CertificationError::ResultadoInvalid
            | CertificationError::ObservacionesTooLong
            | CertificationError::ObservacionesRequired
            | CertificationError::YearInvalid
            | CertificationError::TooManyDays
            | CertificationError::DateInvalid(_)
            | CertificationError::DateOutsideYear { .. }
            | CertificationError::StatusFilterInvalid
            | CertificationError::RoundInvalid
            | CertificationError::PageInvalid => 400,
            CertificationError::NotFound
            | CertificationError::NoCertification
            | CertificationError::EvidenceNotFound
            | CertificationError::CancellationReceiptNotFound => 404,
            CertificationError::Modified
            | CertificationError::InProgress { .. }
            | CertificationError::Expired
            | CertificationError::StatusForbidsEvidence(_)
            | CertificationError::StatusForbidsDictamen(_)
            | CertificationError::StatusForbidsAcceptance(_)
            | CertificationError::NotLive(_) => 409,
            // Handed over once: gone, not missing.
            CertificationError::CancellationReceiptDelivered => 410,
            CertificationError::ContentTypeInvalid => 415,
            // The body also lists the problems (`avisos_certification::answer::rejection_body`).
            CertificationError::EvidenceRejected { .. } => 422,
            CertificationError::Internal(_) => 500,
            // No Retry-After: the contention clears in seconds, and the message says so.
            CertificationError::NotificationBusy => 503,
        };
        with_status(status, e.codigo(), e.mensaje())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_acts::ActError;
    use avisos_certification::Estatus;
    use avisos_kv::KvError;

    fn status(e: CertificationError) -> u16 {
        Error::from(e).status()
    }

    #[test]
    fn each_refusal_travels_with_its_status() {
        assert_eq!(status(CertificationError::FolioMismatch), 400);
        assert_eq!(status(CertificationError::NotFound), 404);
        assert_eq!(status(CertificationError::Modified), 409);
        assert_eq!(status(CertificationError::NotLive(Estatus::Cancelada)), 409);
        assert_eq!(
            status(CertificationError::CancellationReceiptDelivered),
            410
        );
        assert_eq!(
            status(CertificationError::EvidenceRejected { problems: 2 }),
            422
        );
        assert_eq!(status(CertificationError::NotificationBusy), 503);
        assert_eq!(status(CertificationError::ContentTypeInvalid), 415);
        assert_eq!(status(CertificationError::FileEmpty), 400);
    }

    #[test]
    fn a_missing_evidence_chunk_is_an_internal_fault_without_its_detail() {
        let e = Error::from(CertificationError::Internal(
            "missing evidence chunk".into(),
        ));
        assert_eq!((e.status(), e.codigo()), (500, "ERROR_INTERNO"));
        assert!(!e.mensaje().contains("chunk"));
    }

    #[test]
    fn lower_layers_keep_their_own_status() {
        let busy = Error::from(CertificationError::Store(KvError::Busy("k".into())));
        assert_eq!((busy.status(), busy.codigo()), (503, "ALMACEN_OCUPADO"));
        let session = Error::from(CertificationError::Act(ActError::SessionRequired));
        assert_eq!(
            (session.status(), session.codigo()),
            (401, "SESION_REQUERIDA")
        );
    }
}
