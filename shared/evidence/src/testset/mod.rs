//! Test sets (set de pruebas): fictitious workers, their avisos and the cases to compute.
//!
//! A set is a pure function of its [`TestSetId`] (seed, request folio, round, date): the same id
//! gives the same set and the same package bytes, so the service stores only the id and
//! regenerates the set (and its expected results) when it needs them.
//!
//! Content, for the date `fecha` of the set (P1 = the bimester before the one of `fecha`,
//! P2 = the one before P1):
//! - 14 workers with valid-looking identities: NSS (11 digits, Luhn check digit), RFC (13, SAT
//!   check digit), CURP (18, RENAPO check digit), credit number (10 digits), SBC.
//! - Their avisos with the field names of the avisos service (`nrp`, `nss`, `rfc_trabajador`,
//!   ..., `valor_descuento`): one "15" (inicio de crédito) per worker, plus a "16" (suspensión)
//!   for the suspension cases.
//! - Seven kinds of case, each once as a *muestra* (M01-M07: the developer reports the amount and
//!   the calculation steps) and once as an *evaluación* (E01-E07: amount only), with different
//!   workers and values: (1) porcentaje, full bimester; (2) cuota fija, full bimester; (3) factor
//!   de descuento, full bimester; (4) factor across the P2/P1 boundary; (5) factor for a worker
//!   on the minimum wage (the 20 % cap applies); (6) porcentaje across the boundary with the
//!   discount starting inside the period; (7) cuota fija suspended inside the bimester.
//!   Seguro de daños is added once per bimester in every case.
//!
//! The package for the developer ([`TestSet::package_zip`]) never holds the expected results;
//! [`TestSet::expected`] computes them server-side with [`crate::retention`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod build;
mod identity;
mod package;

pub use build::generate;
use build::{bimester_start, effective_date, previous_bimester};
pub use identity::{curp_check_digit, nss_check_digit, rfc_check_digit};
pub(crate) use package::zip_files;

use crate::retention::{self, Descuento, Entrada};

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

/// An aviso, as the avisos service returns it (the field names payroll products use, snake_case: `avisos_aviso::FIELDS`).
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

/// Aviso types used by test sets (the avisos service's catalog).
pub const TIPO_AVISO_INICIO: &str = "15";
pub const TIPO_AVISO_SUSPENSION: &str = "16";

/// Muestra (amount and steps reported) or evaluación (amount only).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum TipoCaso {
    #[serde(rename = "muestra")]
    Muestra,
    #[serde(rename = "evaluación")]
    Evaluacion,
}

impl TipoCaso {
    /// "muestra" | "evaluación".
    pub fn as_str(self) -> &'static str {
        match self {
            TipoCaso::Muestra => "muestra",
            TipoCaso::Evaluacion => "evaluación",
        }
    }
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
    /// The fictitious employer's registro patronal.
    pub nrp: String,
    pub trabajadores: Vec<Trabajador>,
    pub avisos: Vec<Aviso>,
    pub casos: Vec<Caso>,
}

/// One consultation of the avisos service, as a JSON file of the package.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Consulta {
    pub nrp: String,
    pub fecha_inicio: NaiveDate,
    pub fecha_fin: NaiveDate,
    pub avisos: Vec<Aviso>,
}

impl TestSet {
    pub fn trabajador(&self, nss: &str) -> Option<&Trabajador> {
        self.trabajadores.iter().find(|t| t.nss == nss)
    }

    pub fn caso(&self, id: &str) -> Option<&Caso> {
        self.casos.iter().find(|c| c.id == id)
    }

    /// The inputs of a case's retention (worker, its inicio aviso, an eventual suspension).
    pub fn entrada(&self, caso: &Caso) -> Option<Entrada> {
        let t = self.trabajador(&caso.nss)?;
        let of_credit = |tipo: &str| {
            self.avisos
                .iter()
                .find(|a| a.num_credito == caso.num_credito && a.tipo_aviso == tipo)
        };
        let inicio = of_credit(TIPO_AVISO_INICIO)?;
        Some(Entrada {
            descuento: Descuento::parse(&inicio.tipo_descuento, &inicio.valor_descuento)?,
            sbc: t.sbc,
            salario_minimo: t.salario_minimo,
            periodo_inicio: caso.periodo_inicio,
            periodo_fin: caso.periodo_fin,
            inicio_descuento: inicio.fecha_inicio_descuento,
            suspension: of_credit(TIPO_AVISO_SUSPENSION).map(|a| a.fecha_inicio_descuento),
        })
    }

    /// A case's retention with its steps (server-side: muestras' steps for the analyst).
    pub fn calculo(&self, caso: &Caso) -> Option<retention::Calculo> {
        retention::calcular(&self.entrada(caso)?).ok()
    }

    /// Expected retention per case id, centavos (server-side only).
    pub fn expected(&self) -> Vec<(String, i64)> {
        self.casos
            .iter()
            .map(|c| (c.id.clone(), self.calculo(c).map_or(0, |k| k.total)))
            .collect()
    }

    /// The consultations of the package: avisos published before P1, then the later ones.
    pub fn consultas(&self) -> Vec<Consulta> {
        let p1 = previous_bimester(bimester_start(effective_date(self.id.fecha)));
        let p2 = previous_bimester(p1);
        let first_from = self
            .avisos
            .iter()
            .map(|a| a.fecha_aviso)
            .min()
            .unwrap_or(p2);
        let (early, late): (Vec<Aviso>, Vec<Aviso>) = self
            .avisos
            .iter()
            .cloned()
            .partition(|a| a.fecha_aviso < p1);
        vec![
            Consulta {
                nrp: self.nrp.clone(),
                fecha_inicio: first_from,
                fecha_fin: p1.pred_opt().unwrap_or(p1),
                avisos: early,
            },
            Consulta {
                nrp: self.nrp.clone(),
                fecha_inicio: p1,
                fecha_fin: self.id.fecha.max(p1),
                avisos: late,
            },
        ]
    }
}

#[cfg(test)]
mod tests;
