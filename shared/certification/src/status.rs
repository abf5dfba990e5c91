//! The status of a request (the guides' «estatus»): what is stored, and what is shown (stored +
//! the clock).
//!
//! One concept, one word: the request's status is its `estatus` everywhere in this crate.
//! [`Estatus`] is the status as shown (what the guides list, `Vencida` included);
//! [`StoredEstatus`] is its stored form (the record's `estatus` field and the key of its index).
//! The directory's copy of a developer's status, `avisos_relations::directory::CertStatus`, lives
//! in avisos-relations.

use serde::{Deserialize, Serialize};

/// The request's estatus as the record stores it. `Vencida` is never stored: see [`Estatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredEstatus {
    #[serde(rename = "en-espera")]
    EnEspera,
    #[serde(rename = "en-analisis")]
    EnAnalisis,
    #[serde(rename = "aprobado")]
    Aprobado,
    #[serde(rename = "autorizada")]
    Autorizada,
    #[serde(rename = "cancelada")]
    Cancelada,
}

impl StoredEstatus {
    pub const ALL: [StoredEstatus; 5] = [
        StoredEstatus::EnEspera,
        StoredEstatus::EnAnalisis,
        StoredEstatus::Aprobado,
        StoredEstatus::Autorizada,
        StoredEstatus::Cancelada,
    ];

    /// The key segment of its index (and the `estatus` query value).
    pub fn clave(self) -> &'static str {
        match self {
            StoredEstatus::EnEspera => "en-espera",
            StoredEstatus::EnAnalisis => "en-analisis",
            StoredEstatus::Aprobado => "aprobado",
            StoredEstatus::Autorizada => "autorizada",
            StoredEstatus::Cancelada => "cancelada",
        }
    }

    /// Whether a deadline runs in this state: the developer's (upload) or the institute's
    /// (review).
    pub fn has_deadline(self) -> bool {
        matches!(self, StoredEstatus::EnEspera | StoredEstatus::EnAnalisis)
    }

    /// Whether a passed deadline makes it `Vencida`: only the developer's own. A review that
    /// runs late is the institute's delay (shown to the analyst as late), never the developer's.
    pub fn can_expire(self) -> bool {
        self == StoredEstatus::EnEspera
    }
}

/// The request's estatus as shown: the stored one, or `Vencida` when its deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Estatus {
    #[serde(rename = "En espera de documentos")]
    EnEspera,
    #[serde(rename = "En análisis")]
    EnAnalisis,
    #[serde(rename = "Aprobado")]
    Aprobado,
    #[serde(rename = "Certificación autorizada")]
    Autorizada,
    #[serde(rename = "Cancelada")]
    Cancelada,
    #[serde(rename = "Vencida")]
    Vencida,
}

impl Estatus {
    /// Every status as shown (openapi.yaml's `estatus` enums are checked against it).
    pub const ALL: [Estatus; 6] = [
        Estatus::EnEspera,
        Estatus::EnAnalisis,
        Estatus::Aprobado,
        Estatus::Autorizada,
        Estatus::Cancelada,
        Estatus::Vencida,
    ];

    pub fn from_stored(s: StoredEstatus, expired: bool) -> Estatus {
        match s {
            _ if expired && s.can_expire() => Estatus::Vencida,
            StoredEstatus::EnEspera => Estatus::EnEspera,
            StoredEstatus::EnAnalisis => Estatus::EnAnalisis,
            StoredEstatus::Aprobado => Estatus::Aprobado,
            StoredEstatus::Autorizada => Estatus::Autorizada,
            StoredEstatus::Cancelada => Estatus::Cancelada,
        }
    }

    pub fn texto(self) -> &'static str {
        match self {
            Estatus::EnEspera => "En espera de documentos",
            Estatus::EnAnalisis => "En análisis",
            Estatus::Aprobado => "Aprobado",
            Estatus::Autorizada => "Certificación autorizada",
            Estatus::Cancelada => "Cancelada",
            Estatus::Vencida => "Vencida",
        }
    }

    pub fn clave(self) -> &'static str {
        match self {
            Estatus::EnEspera => "en-espera",
            Estatus::EnAnalisis => "en-analisis",
            Estatus::Aprobado => "aprobado",
            Estatus::Autorizada => "autorizada",
            Estatus::Cancelada => "cancelada",
            Estatus::Vencida => "vencida",
        }
    }

    /// Live: blocks a new request and can be cancelled.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Estatus::EnEspera | Estatus::EnAnalisis | Estatus::Aprobado | Estatus::Autorizada
        )
    }

    pub fn parse_clave(s: &str) -> Option<Estatus> {
        [
            Estatus::EnEspera,
            Estatus::EnAnalisis,
            Estatus::Aprobado,
            Estatus::Autorizada,
            Estatus::Cancelada,
            Estatus::Vencida,
        ]
        .into_iter()
        .find(|e| e.clave() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vencida_only_where_a_deadline_runs() {
        assert_eq!(
            Estatus::from_stored(StoredEstatus::EnEspera, true),
            Estatus::Vencida
        );
        // A late review is the institute's: never `Vencida`.
        assert_eq!(
            Estatus::from_stored(StoredEstatus::EnAnalisis, true),
            Estatus::EnAnalisis
        );
        assert_eq!(
            Estatus::from_stored(StoredEstatus::Aprobado, true),
            Estatus::Aprobado
        );
        assert_eq!(
            Estatus::from_stored(StoredEstatus::Cancelada, true),
            Estatus::Cancelada
        );
        assert!(!Estatus::Vencida.is_live());
        assert!(Estatus::Autorizada.is_live());
        for s in StoredEstatus::ALL {
            let e = Estatus::from_stored(s, false);
            assert_eq!(e.clave(), s.clave());
            assert_eq!(Estatus::parse_clave(e.clave()), Some(e));
        }
        assert_eq!(Estatus::parse_clave("otra"), None);
    }
}
