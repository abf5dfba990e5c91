//! Test sets.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What identifies a test set: the same id always gives the same set (same bytes).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TestSetId {
    pub semilla: u64,
    pub folio: String,
    pub ronda: u32,
    pub fecha: NaiveDate,
}

/// A fictitious worker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Trabajador {
    pub nss: String,
    pub rfc: String,
    pub curp: String,
    pub nombre: String,
    pub num_credito: String,
    /// Salario base de cotización, daily, centavos.
    #[serde(with = "crate::money::serde_str")]
    pub sbc: i64,
    /// Earns the minimum wage (the factor discount is capped at 20 % of the SBC).
    pub salario_minimo: bool,
}

/// An aviso, as the avisos service returns it (DOMAIN.md field names, snake_case).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Aviso {
    pub nrp: String,
    pub nss: String,
    pub rfc_trabajador: String,
    pub curp_trabajador: String,
    pub folio_aviso: String,
    pub num_credito: String,
    pub tipo_aviso: String,
    pub fecha_aviso: NaiveDate,
    pub fecha_otorgamiento: NaiveDate,
    pub fecha_inicio_descuento: NaiveDate,
    pub tipo_credito: String,
    pub estatus_credito: String,
    pub tipo_descuento: String,
    pub valor_descuento: String,
}

/// Muestra (amount and steps reported) or evaluación (amount only).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum TipoCaso {
    #[serde(rename = "muestra")]
    Muestra,
    #[serde(rename = "evaluación")]
    Evaluacion,
}

/// A case to compute: one worker's retention over a period.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Caso {
    pub id: String,
    pub tipo: TipoCaso,
    pub nss: String,
    pub num_credito: String,
    /// Period paid (inclusive).
    pub periodo_inicio: NaiveDate,
    pub periodo_fin: NaiveDate,
    /// What the case exercises, in Spanish.
    pub descripcion: String,
}

/// A generated test set.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TestSet {
    pub id: TestSetId,
    pub nrp: String,
    pub trabajadores: Vec<Trabajador>,
    pub avisos: Vec<Aviso>,
    pub casos: Vec<Caso>,
}

/// Deterministic from `id`.
pub fn generate(id: &TestSetId) -> TestSet {
    let _ = id;
    todo!()
}

impl TestSet {
    /// The package the developer receives (.zip; never the expected results).
    pub fn package_zip(&self) -> Vec<u8> {
        todo!()
    }
    /// Expected retention per case id, centavos (server-side only).
    pub fn expected(&self) -> Vec<(String, i64)> {
        todo!()
    }
}
