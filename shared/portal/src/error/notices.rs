//! How the refusals of `avisos-notices` travel: each variant's status, `Retry-After` for the
//! throttle, and the status a consultation's audit records.

use avisos_notices::AvisosError;

use super::{Error, with_status};

impl From<AvisosError> for Error {
    fn from(e: AvisosError) -> Error {
        let status = match e {
            AvisosError::Act(e) => return e.into(),
            AvisosError::Relation(e) => return e.into(),
            AvisosError::Store(e) => return e.into(),
            AvisosError::JsonInvalid(_)
            | AvisosError::BodyEmpty
            | AvisosError::AvisosMissing
            | AvisosError::AvisosNotArray
            | AvisosError::PatronRfcMissing
            | AvisosError::PatronRfcInvalid(_)
            | AvisosError::TotalMismatch { .. }
            | AvisosError::Sha256Mismatch
            | AvisosError::DateInvalid(_)
            | AvisosError::DateRangeInvalid
            | AvisosError::NrpInvalid
            | AvisosError::TipoAvisoInvalid
            | AvisosError::NssInvalid
            | AvisosError::PageInvalid
            | AvisosError::PerPageInvalid
            | AvisosError::BatchPerPageInvalid
            | AvisosError::PasswordMissing
            | AvisosError::CursorInvalid
            | AvisosError::CursorUnknown
            | AvisosError::CursorWithFilters
            | AvisosError::BatchEmpty
            | AvisosError::BatchTooLarge(_) => 400,
            AvisosError::CertificationCancelled { .. }
            | AvisosError::DeveloperNotCertified { .. }
            | AvisosError::RelationMissing { .. }
            | AvisosError::RelationCancelled { .. }
            | AvisosError::RelationOfCancelledCertification { .. }
            | AvisosError::RelationExpired { .. }
            | AvisosError::PasswordNotGenerated
            | AvisosError::PasswordCancelled
            | AvisosError::PasswordRegenerated
            | AvisosError::PasswordIncorrect => 403,
            AvisosError::NrpNotOfEmployer => 404,
            AvisosError::ConcurrentPublication | AvisosError::ConcurrentFirstPublication => 409,
            AvisosError::TooManyAvisos(_) => 413,
            AvisosError::NoValidAvisos => 422,
            AvisosError::AttemptsExceeded { .. } | AvisosError::ChecksInFlight { .. } => 429,
            AvisosError::Internal(_) => 500,
        };
        let mut error = with_status(status, e.codigo(), e.mensaje());
        error.0.retry_after = e.retry_after().map(|seconds| seconds.max(1));
        error
    }
}

impl Error {
    /// The status a consultation answers with (`None`: it succeeded), which its audit record
    /// keeps: pass it to `avisos_notices::consulta::consult`.
    pub fn consultation_status(outcome: Option<&AvisosError>) -> u16 {
        match outcome {
            None => 200,
            Some(e) => Error::from(e.clone()).status(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::KvError;

    fn status(e: AvisosError) -> (u16, &'static str, Option<u32>) {
        let codigo = e.codigo();
        let error = Error::from(e);
        assert_eq!(error.codigo(), codigo);
        (error.status(), codigo, error.0.retry_after)
    }

    /// The statuses the domain tests asserted before the refusals became an enum.
    #[test]
    fn the_gate_and_the_throttle() {
        let expired = AvisosError::RelationOfCancelledCertification {
            no_caso: "0500000001".into(),
        };
        assert_eq!(status(expired), (403, "RELACION_NO_VIGENTE", None));
        let locked = AvisosError::AttemptsExceeded { retry_after: 600 };
        assert_eq!(status(locked), (429, "INTENTOS_EXCEDIDOS", Some(600)));
        let busy = AvisosError::ChecksInFlight { retry_after: 1 };
        assert_eq!(status(busy), (429, "VERIFICACIONES_SIMULTANEAS", Some(1)));
        assert_eq!(
            status(AvisosError::PasswordIncorrect),
            (403, "CONTRASENA_INCORRECTA", None)
        );
    }

    #[test]
    fn publication_and_consultation() {
        assert_eq!(status(AvisosError::BodyEmpty), (400, "CUERPO_VACIO", None));
        assert_eq!(
            status(AvisosError::TooManyAvisos(10_001)),
            (413, "AVISOS_DEMASIADOS", None)
        );
        assert_eq!(
            status(AvisosError::NoValidAvisos),
            (422, "AVISOS_INVALIDOS", None)
        );
        assert_eq!(
            status(AvisosError::ConcurrentFirstPublication),
            (409, "PUBLICACION_CONCURRENTE", None)
        );
        assert_eq!(
            status(AvisosError::NrpNotOfEmployer),
            (404, "NRP_NO_CORRESPONDE", None)
        );
        assert_eq!(
            status(AvisosError::Internal("detail".into())),
            (500, "ERROR_INTERNO", None)
        );
        let store = AvisosError::Store(KvError::Unavailable(String::new()));
        assert_eq!(status(store).0, 503);
    }

    #[test]
    fn the_audit_records_the_answers_status() {
        assert_eq!(Error::consultation_status(None), 200);
        let refused = AvisosError::DeveloperNotCertified {
            desarrollador: "NDE190512XY6".into(),
        };
        assert_eq!(Error::consultation_status(Some(&refused)), 403);
    }
}
