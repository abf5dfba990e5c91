//! How the refusals of `avisos-relations` travel: the status of each [`RelationError`], the
//! lower layers' refusals as they travel themselves.

use avisos_relations::RelationError;

use super::{Error, with_status};

impl From<RelationError> for Error {
    fn from(e: RelationError) -> Error {
        let status = match &e {
            RelationError::Act(act) => return act.clone().into(),
            RelationError::Store(kv) => return kv.clone().into(),
            RelationError::DeveloperRfcInvalid(_)
            | RelationError::NoCasoMismatch
            | RelationError::DateInvalid { .. }
            | RelationError::StartNotToday { .. }
            | RelationError::EndPassed { .. }
            | RelationError::TooLong { .. }
            | RelationError::ServiceInvalid
            | RelationError::SearchTooShort
            | RelationError::NameInvalid { .. }
            | RelationError::CertStatusInvalid => 400,
            RelationError::PasswordWrong => 403,
            RelationError::NotFound => 404,
            RelationError::Duplicate { .. }
            | RelationError::DuplicateInProgress
            | RelationError::AlreadyCancelled { .. }
            | RelationError::NotLive { .. }
            | RelationError::DeveloperNotCertified { .. }
            | RelationError::PasswordNotGenerated { .. }
            | RelationError::PasswordChanged => 409,
            RelationError::TableTooLarge { .. } => 422,
            RelationError::Internal(_) => 500,
        };
        with_status(status, e.codigo(), e.mensaje())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_travels_with_its_status() {
        let cases = [
            (RelationError::NotFound, 404, "RELACION_NO_ENCONTRADA"),
            (RelationError::NoCasoMismatch, 400, "NO_CASO_NO_COINCIDE"),
            (
                RelationError::DuplicateInProgress,
                409,
                "RELACION_DUPLICADA",
            ),
            (
                RelationError::TableTooLarge { filas: 2, max: 1 },
                422,
                "TABLA_DEMASIADO_GRANDE",
            ),
            (RelationError::PasswordWrong, 403, "CONTRASENA_INCORRECTA"),
            (RelationError::SearchTooShort, 400, "BUSQUEDA_CORTA"),
            (
                RelationError::Store(avisos_kv::KvError::AccessDenied),
                503,
                "ALMACEN_NO_DISPONIBLE",
            ),
        ];
        for (e, status, codigo) in cases {
            let sent = Error::from(e);
            assert_eq!((sent.status(), sent.codigo()), (status, codigo));
        }
        let internal = Error::from(RelationError::internal("corrupt relation record"));
        assert_eq!(internal.status(), 500);
        assert!(!internal.mensaje().contains("corrupt"));
    }
}
