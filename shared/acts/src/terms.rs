//! Terms and conditions: Spanish texts written for this service, versioned, each identified by the
//! SHA-256 of its exact text. A signed act carries that hash, so the acuse proves which text the
//! user accepted. Changing a text means a new version (and a new hash); old acuses keep theirs.

use serde::Serialize;

/// The legend the user ticks, as the guides show it.
pub const ACCEPTANCE_LEGEND: &str = "He leído y acepto las condiciones de este servicio";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TermsId {
    /// Relaciones de confianza (employer).
    #[serde(rename = "relaciones-de-confianza")]
    RelacionesDeConfianza,
    /// Certificación: solicitud (developer).
    #[serde(rename = "certificacion-solicitud")]
    CertificacionSolicitud,
    /// Certificación: aprobación (developer signs to obtain access in production).
    #[serde(rename = "certificacion-aprobacion")]
    CertificacionAprobacion,
    /// Certificación: cancelación (developer).
    #[serde(rename = "certificacion-cancelacion")]
    CertificacionCancelacion,
}

impl TermsId {
    pub const ALL: [TermsId; 4] = [
        TermsId::RelacionesDeConfianza,
        TermsId::CertificacionSolicitud,
        TermsId::CertificacionAprobacion,
        TermsId::CertificacionCancelacion,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            TermsId::RelacionesDeConfianza => "relaciones-de-confianza",
            TermsId::CertificacionSolicitud => "certificacion-solicitud",
            TermsId::CertificacionAprobacion => "certificacion-aprobacion",
            TermsId::CertificacionCancelacion => "certificacion-cancelacion",
        }
    }

    pub fn from_slug(slug: &str) -> Option<TermsId> {
        Self::ALL.into_iter().find(|t| t.slug() == slug)
    }
}

/// One version of one text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Terms {
    pub id: TermsId,
    pub titulo: &'static str,
    pub version: &'static str,
    pub vigente_desde: &'static str,
    pub texto: &'static str,
    /// Hex SHA-256 of `texto` (UTF-8 bytes, exactly as served).
    pub sha256: String,
    pub leyenda_aceptacion: &'static str,
}

/// The current version of a text.
pub fn current(id: TermsId) -> Terms {
    let (titulo, version, vigente_desde, texto) = match id {
        TermsId::RelacionesDeConfianza => (
            "Términos y condiciones de las Relaciones de confianza del Servicio de Intercomunicación de Avisos",
            "1.0",
            "2026-11-01",
            RELACIONES,
        ),
        TermsId::CertificacionSolicitud => (
            "Términos y condiciones de la Solicitud de certificación para desarrolladores",
            "1.0",
            "2026-11-01",
            SOLICITUD,
        ),
        TermsId::CertificacionAprobacion => (
            "Términos y condiciones de la Aprobación de certificación (responsiva)",
            "1.0",
            "2026-11-01",
            APROBACION,
        ),
        TermsId::CertificacionCancelacion => (
            "Términos y condiciones de la Cancelación de certificación",
            "1.0",
            "2026-11-01",
            CANCELACION,
        ),
    };
    Terms {
        id,
        titulo,
        version,
        vigente_desde,
        texto,
        sha256: crate::sha256_hex(texto.as_bytes()),
        leyenda_aceptacion: ACCEPTANCE_LEGEND,
    }
}

const RELACIONES: &str = "\
I. Aceptación de las condiciones y términos generales del servicio
Al habilitar la casilla «He leído y acepto las condiciones de este servicio» y firmar con su e.firma, el PATRÓN acepta los presentes Términos y Condiciones para autorizar a un desarrollador de software de nómina certificado por el INSTITUTO a consultar, a través del Servicio de Intercomunicación de Avisos (el SERVICIO), los avisos de retención, modificación y suspensión de descuentos relacionados con los créditos de vivienda de sus trabajadores.

II. Relación de confianza
La relación de confianza es la autorización expresa que el PATRÓN otorga a un desarrollador certificado para un servicio y por una vigencia determinada. Solo podrán elegirse desarrolladores cuya certificación se encuentre autorizada. Mientras la relación esté en estatus «Relación Vigente», el desarrollador podrá consultar los avisos del PATRÓN; con estatus «Relación cancelada por usuario» o «Relación no vigente» no podrá hacerlo.

III. Contraseña del servicio
Para registrar una relación de confianza, el PATRÓN debe ingresar la contraseña que generó en la pestaña «Generación de contraseña». El PATRÓN es responsable de resguardarla y de compartirla únicamente con el desarrollador autorizado; puede regenerarla o cancelarla en cualquier momento.

IV. Firma electrónica y acuse
Cada alta y cada cancelación se firman con la e.firma vigente del PATRÓN emitida por el Servicio de Administración Tributaria, lo que produce los mismos efectos que la firma autógrafa. Por cada trámite el SERVICIO emite un acuse con folio, fecha, hora y sello digital del INSTITUTO.

V. Cancelación
El PATRÓN puede cancelar una relación de confianza en cualquier momento mediante la opción «Borrar» y su e.firma. La cancelación surte efectos de inmediato: a partir de ese momento el desarrollador no podrá consultar los avisos del PATRÓN.

VI. Protección de datos personales
La información de los trabajadores se trata conforme a la Ley General de Protección de Datos Personales en Posesión de Sujetos Obligados. El desarrollador autorizado solo podrá utilizarla para el cálculo y aplicación de los descuentos de nómina del PATRÓN.

VII. Modificaciones
El INSTITUTO se reserva el derecho de modificar en cualquier momento y sin dar aviso previo los presentes Términos y Condiciones, la configuración y el contenido del SERVICIO. Cada versión queda identificada por su fecha y su huella digital (SHA-256), que se incluye en la cadena original firmada.
";

const SOLICITUD: &str = "\
I. Aceptación de las condiciones y términos generales del servicio
Al habilitar la casilla «He leído y acepto las condiciones de este servicio» y firmar con su e.firma, el DESARROLLADOR solicita su certificación para implementar el Servicio de Intercomunicación de Avisos (el SERVICIO) en su sistema de control de nómina y acepta los presentes Términos y Condiciones.

II. Set de pruebas y evidencias
Registrada la solicitud, el INSTITUTO enviará al correo electrónico del DESARROLLADOR un set de pruebas. El DESARROLLADOR contará con 45 días hábiles, contados a partir de la recepción del set, para enviar el archivo de evidencias (.xls, de no más de 5 MB) con las cuatro pestañas requeridas: los archivos .json devueltos por el SERVICIO, los resultados del cálculo de las amortizaciones, las pantallas del sistema y el CFDI de nómina sin sellar.

III. Análisis
El INSTITUTO evaluará las evidencias en 5 días hábiles. Si detecta inconsistencias, lo notificará por correo electrónico junto con un nuevo set de pruebas, y el DESARROLLADOR contará con 10 días hábiles para enviar la evidencia corregida.

IV. Uso de la información
Los datos del set de pruebas son ficticios y solo podrán utilizarse para la certificación. El DESARROLLADOR se obliga a no utilizar el SERVICIO para fines distintos a los autorizados.

V. Firma electrónica
La solicitud se firma con la e.firma vigente del DESARROLLADOR, lo que produce los mismos efectos que la firma autógrafa. El documento firmado (responsiva) puede descargarse desde el SERVICIO.

VI. Modificaciones
El INSTITUTO se reserva el derecho de modificar en cualquier momento y sin dar aviso previo los presentes Términos y Condiciones. Cada versión queda identificada por su fecha y su huella digital (SHA-256).
";

const APROBACION: &str = "\
I. Aceptación de las condiciones y términos generales del servicio
Al firmar con su e.firma los presentes Términos y Condiciones de la Aprobación de Certificación, el DESARROLLADOR obtiene acceso al Servicio de Intercomunicación de Avisos (el SERVICIO) en ambiente productivo y asume las obligaciones siguientes.

II. Obligaciones del desarrollador certificado
a) Consultar los avisos únicamente de los patrones que le hayan otorgado una relación de confianza vigente, y solo para el cálculo y aplicación de los descuentos de nómina.
b) Resguardar la confidencialidad de la información de los trabajadores y de las contraseñas del servicio que le compartan los patrones.
c) Aplicar los cálculos de retención conforme a la Guía para la Implementación del Servicio de Intercomunicación de Avisos vigente.
d) Informar al INSTITUTO de cualquier uso indebido o incidente de seguridad del que tenga conocimiento.

III. Directorio de desarrolladores certificados
Con la certificación autorizada, el nombre y RFC del DESARROLLADOR aparecerán en el directorio que consultan los patrones para crear relaciones de confianza.

IV. Cancelación
El DESARROLLADOR puede cancelar su certificación en cualquier momento. El INSTITUTO podrá revocarla por incumplimiento de estos Términos y Condiciones. Cancelada la certificación, ninguna relación de confianza otorgada al DESARROLLADOR permitirá consultar avisos.

V. Modificaciones
El INSTITUTO se reserva el derecho de modificar en cualquier momento y sin dar aviso previo los presentes Términos y Condiciones para la consulta masiva de avisos de retención y suspensión relacionados a los créditos de vivienda otorgados por el Instituto, la configuración y el contenido del SERVICIO.
";

const CANCELACION: &str = "\
I. Solicitud de cancelación
Al firmar con su e.firma, el DESARROLLADOR solicita la cancelación de su certificación en el Servicio de Intercomunicación de Avisos (el SERVICIO).

II. Efectos
La cancelación surte efectos de inmediato: el DESARROLLADOR deja de aparecer en el directorio de desarrolladores certificados y ninguna relación de confianza otorgada a él permitirá consultar avisos. Para volver a certificarse deberá presentar una nueva solicitud.

III. Acuse
El acuse de cancelación se muestra solo en la sesión en que se realiza el trámite; el DESARROLLADOR debe descargarlo en ese momento. También recibirá un correo electrónico con la confirmación de la cancelación.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_of_the_exact_text_and_distinct() {
        let all: Vec<Terms> = TermsId::ALL.into_iter().map(current).collect();
        for t in &all {
            assert_eq!(t.sha256, crate::sha256_hex(t.texto.as_bytes()));
            assert_eq!(t.sha256.len(), 64);
            assert_eq!(TermsId::from_slug(t.id.slug()), Some(t.id));
        }
        let mut hashes: Vec<&str> = all.iter().map(|t| t.sha256.as_str()).collect();
        hashes.dedup();
        assert_eq!(hashes.len(), 4);
    }

    #[test]
    fn unknown_slug() {
        assert_eq!(TermsId::from_slug("otra"), None);
    }
}
