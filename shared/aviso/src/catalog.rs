//! The two catalogs of an aviso: its type (the SUA movement codes) and how its discount reads.

use serde::{Deserialize, Serialize};

/// Catalog of aviso types (the SUA movement codes for housing credits), grouped as the domain
/// does: retención (start), modificación (change), suspensión (stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TipoAviso {
    /// 15: inicio de crédito de vivienda (start retaining).
    #[serde(rename = "15")]
    InicioCredito,
    /// 16: suspensión de descuento (stop retaining).
    #[serde(rename = "16")]
    Suspension,
    /// 17: reinicio de descuento (start again).
    #[serde(rename = "17")]
    Reinicio,
    /// 18: modificación de tipo de descuento.
    #[serde(rename = "18")]
    ModificacionTipo,
    /// 19: modificación de valor de descuento.
    #[serde(rename = "19")]
    ModificacionValor,
    /// 20: modificación de número de crédito.
    #[serde(rename = "20")]
    ModificacionCredito,
}

/// What an aviso asks the employer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Categoria {
    Retencion,
    Modificacion,
    Suspension,
}

impl TipoAviso {
    pub const ALL: [TipoAviso; 6] = [
        TipoAviso::InicioCredito,
        TipoAviso::Suspension,
        TipoAviso::Reinicio,
        TipoAviso::ModificacionTipo,
        TipoAviso::ModificacionValor,
        TipoAviso::ModificacionCredito,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TipoAviso::InicioCredito => "15",
            TipoAviso::Suspension => "16",
            TipoAviso::Reinicio => "17",
            TipoAviso::ModificacionTipo => "18",
            TipoAviso::ModificacionValor => "19",
            TipoAviso::ModificacionCredito => "20",
        }
    }

    pub fn descripcion(self) -> &'static str {
        match self {
            TipoAviso::InicioCredito => "Inicio de crédito de vivienda (retención)",
            TipoAviso::Suspension => "Suspensión de descuento",
            TipoAviso::Reinicio => "Reinicio de descuento",
            TipoAviso::ModificacionTipo => "Modificación de tipo de descuento",
            TipoAviso::ModificacionValor => "Modificación de valor de descuento",
            TipoAviso::ModificacionCredito => "Modificación de número de crédito",
        }
    }

    pub fn categoria(self) -> Categoria {
        match self {
            TipoAviso::InicioCredito | TipoAviso::Reinicio => Categoria::Retencion,
            TipoAviso::Suspension => Categoria::Suspension,
            _ => Categoria::Modificacion,
        }
    }

    pub fn parse(code: &str) -> Option<TipoAviso> {
        TipoAviso::ALL.into_iter().find(|t| t.code() == code.trim())
    }

    /// The `tipo_aviso` field of a row: the refusal lists the whole catalog.
    pub fn parse_field(v: &str) -> Result<TipoAviso, String> {
        TipoAviso::parse(v).ok_or_else(|| {
            let codes: Vec<String> = TipoAviso::ALL
                .iter()
                .map(|t| format!("{} {}", t.code(), t.descripcion()))
                .collect();
            format!(
                "El tipo de aviso «{v}» no está en el catálogo: {}.",
                codes.join(", ")
            )
        })
    }
}

/// Tipo de descuento: how `valor_descuento` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TipoDescuento {
    /// 1: percentage of the salary, `99.99`.
    #[serde(rename = "1")]
    Porcentaje,
    /// 2: fixed monthly amount in pesos, `99999.99`.
    #[serde(rename = "2")]
    CuotaFija,
    /// 3: factor in times the UMI, `999.9999`.
    #[serde(rename = "3")]
    FactorDescuento,
}

impl TipoDescuento {
    /// Every tipo de descuento (openapi.yaml's enum is checked against it).
    pub const ALL: [TipoDescuento; 3] = [
        TipoDescuento::Porcentaje,
        TipoDescuento::CuotaFija,
        TipoDescuento::FactorDescuento,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TipoDescuento::Porcentaje => "1",
            TipoDescuento::CuotaFija => "2",
            TipoDescuento::FactorDescuento => "3",
        }
    }

    pub fn parse(code: &str) -> Option<TipoDescuento> {
        match code.trim() {
            "1" => Some(TipoDescuento::Porcentaje),
            "2" => Some(TipoDescuento::CuotaFija),
            "3" => Some(TipoDescuento::FactorDescuento),
            _ => None,
        }
    }

    /// The `tipo_descuento` field of a row.
    pub fn parse_field(v: &str) -> Result<TipoDescuento, String> {
        TipoDescuento::parse(v).ok_or_else(|| {
            "El tipo de descuento debe ser 1 (porcentaje), 2 (cuota fija monetaria) o 3 (factor de descuento)."
                .to_string()
        })
    }

    /// (integer digits, decimal digits) at most.
    pub fn digits(self) -> (usize, usize) {
        match self {
            TipoDescuento::Porcentaje => (2, 2),
            TipoDescuento::CuotaFija => (5, 2),
            TipoDescuento::FactorDescuento => (3, 4),
        }
    }

    pub(super) fn example(self) -> &'static str {
        match self {
            TipoDescuento::Porcentaje => "porcentaje, hasta 2 enteros y 2 decimales (p. ej. 25.00)",
            TipoDescuento::CuotaFija => {
                "cuota fija en pesos, hasta 5 enteros y 2 decimales (p. ej. 1250.50)"
            }
            TipoDescuento::FactorDescuento => {
                "factor en veces UMI, hasta 3 enteros y 4 decimales (p. ej. 22.2500)"
            }
        }
    }
}
