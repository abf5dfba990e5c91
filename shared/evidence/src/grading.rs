//! Automatic grading: tab 2 against the expected results, case by case, with a tolerance of one
//! centavo. The analyst still decides; this is the report they read (Spanish observations).

use serde::{Deserialize, Serialize};

use crate::money;
use crate::testset::{TestSet, TipoCaso};
use crate::workbook::Evidence;

/// Largest difference, in centavos, still graded correct.
pub const TOLERANCE_CENTAVOS: i64 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Grading {
    pub casos: Vec<CaseGrade>,
    pub correctos: u32,
    pub total: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseGrade {
    pub id: String,
    /// "muestra" | "evaluación"
    pub tipo: String,
    #[serde(with = "crate::money::serde_str")]
    pub esperado: i64,
    #[serde(with = "crate::money::serde_opt")]
    pub reportado: Option<i64>,
    /// reportado − esperado.
    #[serde(with = "crate::money::serde_opt")]
    pub diferencia: Option<i64>,
    pub correcto: bool,
    pub observacion: String,
}

/// Grades every case of the set (tolerance: 1 centavo). A muestra also needs its steps.
pub fn grade(set: &TestSet, evidence: &Evidence) -> Grading {
    let mut casos = Vec::with_capacity(set.casos.len());
    for (caso, (id, esperado)) in set.casos.iter().zip(set.expected()) {
        let reported = evidence.resultados.iter().find(|r| r.id == id);
        let reportado = reported.map(|r| r.monto);
        // Saturating: a reported amount is the developer's number, however large.
        let diferencia = reportado.map(|r| r.saturating_sub(esperado));
        let monto_ok = diferencia.is_some_and(|d| d.unsigned_abs() <= TOLERANCE_CENTAVOS as u64);
        let pasos_ok = caso.tipo != TipoCaso::Muestra || reported.is_some_and(|r| r.pasos);
        let observacion = match (reportado, diferencia) {
            (None, _) | (_, None) => "No se reportó el monto de este caso.".to_string(),
            (Some(_), Some(d)) if !monto_ok => format!(
                "Monto incorrecto: se esperaba {} y se reportó {} (diferencia {}).",
                money::format(esperado),
                money::format(esperado + d),
                money::format(d)
            ),
            _ if !pasos_ok => "Monto correcto, pero faltan los pasos del cálculo.".to_string(),
            (Some(_), Some(0)) => "Correcto.".to_string(),
            (Some(_), Some(d)) => format!(
                "Correcto (diferencia de {} dentro de la tolerancia de 1 centavo).",
                money::format(d)
            ),
        };
        casos.push(CaseGrade {
            id,
            tipo: caso.tipo.as_str().to_string(),
            esperado,
            reportado,
            diferencia,
            correcto: monto_ok && pasos_ok,
            observacion,
        });
    }
    let correctos = casos.iter().filter(|c| c.correcto).count() as u32;
    Grading {
        total: casos.len() as u32,
        correctos,
        casos,
    }
}
