//! Why a certification act or read was refused: one variant per reason, shaped like
//! `efirma::EfirmaError` (a stable `codigo()` for machines, a Spanish `mensaje()` for people).
//! How a refusal travels (an HTTP status) is decided at the edge, in `avisos-portal`
//! (`src/error/certification.rs`).

use avisos_acts::ActError;
use avisos_kv::KvError;
use avisos_relations::RelationError;
use chrono::NaiveDate;

use crate::status::Estatus;
use crate::workflow::MAX_OBSERVACIONES;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.mensaje())]
pub enum CertificationError {
    // The request and its owner.
    /// No request with that folio among the developer's (someone else's answers the same).
    NotFound,
    /// The developer never requested the certification.
    NoCertification,
    /// The folio signed in `datos.folio` is not the route's.
    FolioMismatch,
    /// Another transition changed the record between its read and its swap.
    Modified,

    // The signed fields.
    /// `razon_social` is empty, too long or has control characters.
    RazonSocialInvalid,
    /// `correo` is not an e-mail address.
    EmailInvalid,
    /// `resultado` is neither «aprobar» nor «inconsistencias».
    ResultadoInvalid,
    /// `observaciones` over [`MAX_OBSERVACIONES`] characters.
    ObservacionesTooLong,
    /// Inconsistencies without saying which.
    ObservacionesRequired,

    // The state machine.
    /// The developer has a live request already (`folio`: `None` while another request of
    /// theirs is still being registered).
    InProgress { folio: Option<String> },
    /// The developer's deadline to upload passed.
    Expired,
    /// Evidence is received only «En espera de documentos».
    StatusForbidsEvidence(Estatus),
    /// Only a request «En análisis» is dictaminated.
    StatusForbidsDictamen(Estatus),
    /// The approval is signed only when «Aprobado».
    StatusForbidsAcceptance(Estatus),
    /// Nothing live to cancel.
    NotLive(Estatus),

    // Evidence.
    /// The upload's `Content-Type` is not an Excel workbook's.
    ContentTypeInvalid,
    /// No usable file name (`x-nombre-archivo` or `?archivo=`).
    FileNameRequired,
    /// The upload has no bytes.
    FileEmpty,
    /// The workbook has `problems` problems (the rejection body lists them): nothing changed.
    EvidenceRejected { problems: usize },
    /// No accepted evidence in the round asked for.
    EvidenceNotFound,

    // The acuse de cancelación.
    /// No acuse de cancelación for that folio, token and session.
    CancellationReceiptNotFound,
    /// The acuse de cancelación was downloaded already (it is handed over once).
    CancellationReceiptDelivered,

    // The institute's calendar.
    /// A year outside [`crate::deadline::YEARS`].
    YearInvalid,
    /// More than [`crate::deadline::MAX_EXTRA_DAYS`] extra days in a year.
    TooManyDays,
    /// A day that is not `AAAA-MM-DD` (as typed).
    DateInvalid(String),
    /// A day of another year.
    DateOutsideYear { date: NaiveDate, year: i32 },

    // The analyst's reads.
    /// `?estatus=` of the tray is not a status's key.
    StatusFilterInvalid,
    /// `?ronda=` is not a whole number.
    RoundInvalid,

    // Notifications.
    /// `pagina` is not a number in `1..=10000`.
    PageInvalid,
    /// A notification kept changing under its compare-and-swap.
    NotificationBusy,

    /// Refused by the acts layer (session, role, seal, folios, acuses).
    Act(#[from] ActError),
    /// Refused by the relations layer (the developers' directory).
    Relation(#[from] RelationError),
    /// The store failed.
    Store(#[from] KvError),
    /// A fault of ours; the detail is for logs only.
    Internal(String),
}

impl CertificationError {
    pub fn codigo(&self) -> &'static str {
        match self {
            Self::NotFound => "CERTIFICACION_NO_ENCONTRADA",
            Self::NoCertification => "SIN_CERTIFICACION",
            Self::FolioMismatch => "FOLIO_NO_COINCIDE",
            Self::Modified => "CERTIFICACION_MODIFICADA",
            Self::RazonSocialInvalid => "RAZON_SOCIAL_INVALIDA",
            Self::EmailInvalid => "CORREO_INVALIDO",
            Self::ResultadoInvalid => "RESULTADO_INVALIDO",
            Self::ObservacionesTooLong => "OBSERVACIONES_DEMASIADO_LARGAS",
            Self::ObservacionesRequired => "OBSERVACIONES_REQUERIDAS",
            Self::InProgress { .. } => "CERTIFICACION_EN_CURSO",
            Self::Expired => "CERTIFICACION_VENCIDA",
            Self::StatusForbidsEvidence(_) => "ESTATUS_NO_PERMITE_EVIDENCIAS",
            Self::StatusForbidsDictamen(_) => "ESTATUS_NO_PERMITE_DICTAMEN",
            Self::StatusForbidsAcceptance(_) => "ESTATUS_NO_PERMITE_ACEPTACION",
            Self::NotLive(_) => "CERTIFICACION_NO_VIGENTE",
            Self::ContentTypeInvalid => "TIPO_DE_CONTENIDO_INVALIDO",
            Self::FileNameRequired => "NOMBRE_ARCHIVO_REQUERIDO",
            Self::FileEmpty => "ARCHIVO_VACIO",
            Self::EvidenceRejected { .. } => "EVIDENCIA_RECHAZADA",
            Self::EvidenceNotFound => "EVIDENCIA_NO_ENCONTRADA",
            Self::CancellationReceiptNotFound => "ACUSE_NO_ENCONTRADO",
            Self::CancellationReceiptDelivered => "ACUSE_CANCELACION_ENTREGADO",
            Self::YearInvalid => "ANIO_INVALIDO",
            Self::TooManyDays => "DEMASIADOS_DIAS",
            Self::DateInvalid(_) => "FECHA_INVALIDA",
            Self::DateOutsideYear { .. } => "FECHA_FUERA_DEL_ANIO",
            Self::StatusFilterInvalid => "ESTATUS_INVALIDO",
            Self::RoundInvalid => "RONDA_INVALIDA",
            Self::PageInvalid => "PAGINA_INVALIDA",
            Self::NotificationBusy => "NOTIFICACION_OCUPADA",
            Self::Act(e) => e.codigo(),
            Self::Relation(e) => e.codigo(),
            Self::Store(e) => e.codigo(),
            Self::Internal(_) => "ERROR_INTERNO",
        }
    }

    pub fn mensaje(&self) -> String {
        match self {
            Self::NotFound => "No existe una solicitud de certificación con ese folio entre tus trámites.".into(),
            Self::NoCertification => "Aún no has solicitado la certificación. Lee los términos y condiciones y firma la solicitud.".into(),
            Self::FolioMismatch => {
                "El folio firmado no corresponde al de la solicitud de la ruta.".into()
            }
            Self::Modified => "La solicitud cambió mientras se procesaba tu trámite. Consulta su estatus e intenta de nuevo.".into(),
            Self::RazonSocialInvalid => "La razón social es obligatoria, de hasta 254 caracteres y sin caracteres de control.".into(),
            Self::EmailInvalid => "Escribe un correo electrónico válido (por ejemplo, nominas@empresa.com.mx).".into(),
            Self::ResultadoInvalid => {
                "El resultado del dictamen debe ser «aprobar» o «inconsistencias».".into()
            }
            Self::ObservacionesTooLong => {
                format!("Las observaciones admiten hasta {MAX_OBSERVACIONES} caracteres.")
            }
            Self::ObservacionesRequired => "Describe las inconsistencias encontradas: el desarrollador las recibirá con el nuevo set de pruebas.".into(),
            Self::InProgress { folio: None } => "Se está registrando otra solicitud de certificación tuya. Consulta tu seguimiento o intenta de nuevo en unos minutos.".into(),
            Self::InProgress { folio: Some(folio) } => format!(
                "Ya tienes una solicitud de certificación en curso (folio {folio}). Consulta su seguimiento o cancélala antes de solicitar otra."
            ),
            Self::Expired => "El plazo para enviar las evidencias venció. Para certificarte realiza una nueva solicitud.".into(),
            Self::StatusForbidsEvidence(estatus) => format!(
                "La solicitud está «{}»: solo se reciben evidencias «En espera de documentos».",
                estatus.texto()
            ),
            Self::StatusForbidsDictamen(estatus) => format!(
                "La solicitud está «{}»: solo se dictaminan solicitudes «En análisis».",
                estatus.texto()
            ),
            Self::StatusForbidsAcceptance(estatus) => format!(
                "La solicitud está «{}»: solo se firma la aprobación cuando está «Aprobado».",
                estatus.texto()
            ),
            Self::NotLive(estatus) => format!(
                "La solicitud está «{}»: no hay certificación que cancelar.",
                estatus.texto()
            ),
            Self::ContentTypeInvalid => "Envía el archivo tal cual con Content-Type de Excel (.xls: application/vnd.ms-excel; .xlsx: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet).".into(),
            Self::FileNameRequired => "Indica el nombre del archivo (.xls o .xlsx) en la cabecera x-nombre-archivo o el parámetro archivo.".into(),
            Self::FileEmpty => "El cuerpo de la solicitud debe ser el archivo de evidencias.".into(),
            Self::EvidenceRejected { problems } => format!(
                "El archivo de evidencias tiene {problems} problema(s); corrígelos y envíalo de nuevo. No se registró ningún cambio."
            ),
            Self::EvidenceNotFound => {
                "Esa solicitud no tiene evidencias aceptadas en la ronda indicada.".into()
            }
            Self::CancellationReceiptNotFound => {
                "No hay un acuse de cancelación disponible para ese folio y esa sesión.".into()
            }
            Self::CancellationReceiptDelivered => "El acuse de cancelación solo se muestra una vez, en la sesión en que se canceló, y ya se descargó.".into(),
            Self::YearInvalid => "El año debe estar entre 2000 y 2100.".into(),
            Self::TooManyDays => format!(
                "Se admiten a lo más {} días inhábiles adicionales por año.",
                crate::deadline::MAX_EXTRA_DAYS
            ),
            Self::DateInvalid(day) => format!("«{day}» no es una fecha AAAA-MM-DD."),
            Self::DateOutsideYear { date, year } => {
                format!("El día {date} no pertenece al año {year}.")
            }
            Self::StatusFilterInvalid => "El estatus debe ser en-espera, en-analisis, aprobado, autorizada, cancelada o vencida.".into(),
            Self::RoundInvalid => "La ronda debe ser un número entero.".into(),
            Self::PageInvalid => "La página debe ser un número entre 1 y 10000.".into(),
            Self::NotificationBusy => "La notificación se está actualizando desde otra solicitud. Intenta de nuevo en unos segundos.".into(),
            Self::Act(e) => e.mensaje(),
            Self::Relation(e) => e.mensaje().to_string(),
            Self::Store(e) => e.mensaje(),
            Self::Internal(_) => ActError::Internal(String::new()).mensaje(),
        }
    }

    /// A fault of ours (`detail` for logs only).
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }
}
