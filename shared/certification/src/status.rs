//! The states of a request: what is stored, and what is shown (stored + the clock).

use serde::{Deserialize, Serialize};

/// What the record stores. `Vencida` is never stored: see [`Estatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stored {
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

impl Stored {
    pub const ALL: [Stored; 5] = [
        Stored::EnEspera,
        Stored::EnAnalisis,
        Stored::Aprobado,
        Stored::Autorizada,
        Stored::Cancelada,
    ];

    /// The key segment of its index (and the `estatus` query value).
    pub fn clave(self) -> &'static str {
        match self {
            Stored::EnEspera => "en-espera",
            Stored::EnAnalisis => "en-analisis",
            Stored::Aprobado => "aprobado",
            Stored::Autorizada => "autorizada",
            Stored::Cancelada => "cancelada",
        }
    }

    /// Whether a deadline runs in this state: the developer's (upload) or the institute's
    /// (review).
    pub fn has_deadline(self) -> bool {
        matches!(self, Stored::EnEspera | Stored::EnAnalisis)
    }

    /// Whether a passed deadline makes it `Vencida`: only the developer's own. A review that
    /// runs late is the institute's delay (shown to the analyst as late), never the developer's.
    pub fn can_expire(self) -> bool {
        self == Stored::EnEspera
    }
}

/// The status as shown: the stored one, or `Vencida` when its deadline has passed.
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

    pub fn from_stored(s: Stored, expired: bool) -> Estatus {
        match s {
            _ if expired && s.can_expire() => Estatus::Vencida,
            Stored::EnEspera => Estatus::EnEspera,
            Stored::EnAnalisis => Estatus::EnAnalisis,
            Stored::Aprobado => Estatus::Aprobado,
            Stored::Autorizada => Estatus::Autorizada,
            Stored::Cancelada => Estatus::Cancelada,
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
            Estatus::from_stored(Stored::EnEspera, true),
            Estatus::Vencida
        );
        // A late review is the institute's: never `Vencida`.
        assert_eq!(
            Estatus::from_stored(Stored::EnAnalisis, true),
            Estatus::EnAnalisis
        );
        assert_eq!(
            Estatus::from_stored(Stored::Aprobado, true),
            Estatus::Aprobado
        );
        assert_eq!(
            Estatus::from_stored(Stored::Cancelada, true),
            Estatus::Cancelada
        );
        assert!(!Estatus::Vencida.is_live());
        assert!(Estatus::Autorizada.is_live());
        for s in Stored::ALL {
            let e = Estatus::from_stored(s, false);
            assert_eq!(e.clave(), s.clave());
            assert_eq!(Estatus::parse_clave(e.clave()), Some(e));
        }
        assert_eq!(Estatus::parse_clave("otra"), None);
    }
}
