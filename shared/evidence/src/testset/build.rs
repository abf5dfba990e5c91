//! [`generate`]: the set as a pure function of its id, one random stream drawn case after case.

use chrono::{Datelike, Days, NaiveDate};

use super::identity::{Rng, worker};
use super::{
    Aviso, Caso, TIPO_AVISO_INICIO, TIPO_AVISO_SUSPENSION, TestSet, TestSetId, TipoCaso, Trabajador,
};
use crate::retention::{self, Descuento, SALARIO_MINIMO_GENERAL};

/// The first day of the bimester containing `d`, and the previous bimester's first day.
pub(super) fn bimester_start(d: NaiveDate) -> NaiveDate {
    retention::bimester_of(d).1
}

pub(super) fn previous_bimester(start: NaiveDate) -> NaiveDate {
    bimester_start(start.pred_opt().unwrap_or(start))
}

pub(super) fn days_before(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_sub_days(Days::new(n as u64)).unwrap_or(d)
}

pub(super) fn days_after(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
}

/// The reference tables start in 2024: sets dated earlier use May 2024 for their periods.
pub(super) fn effective_date(fecha: NaiveDate) -> NaiveDate {
    fecha.max(NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or(fecha))
}

const KINDS: [&str; 7] = [
    "Porcentaje (tipo 1), bimestre completo",
    "Cuota fija monetaria (tipo 2), bimestre completo",
    "Factor de descuento (tipo 3), bimestre completo",
    "Factor de descuento (tipo 3), periodo dividido entre dos bimestres",
    "Factor de descuento (tipo 3), trabajador con salario mínimo (tope del 20 % del SBC)",
    "Porcentaje (tipo 1), periodo dividido entre dos bimestres; el descuento inicia dentro del periodo",
    "Cuota fija monetaria (tipo 2), descuento suspendido dentro del bimestre",
];

/// The dates of a set: P1 and its end, P2, and the split period across the P2/P1 boundary.
#[derive(Clone, Copy)]
struct Periods {
    p1: NaiveDate,
    p2: NaiveDate,
    p1_end: NaiveDate,
    split_start: NaiveDate,
    split_end: NaiveDate,
}

/// Deterministic from `id`.
pub fn generate(id: &TestSetId) -> TestSet {
    let mut rng = Rng::from_id(id);
    let p1 = previous_bimester(bimester_start(effective_date(id.fecha)));
    let p2 = previous_bimester(p1);
    let p1_end = retention::bimester_of(p1).2;
    // Split periods: 16th of P2's second month to 15th of P1's first month.
    let split_start = days_after(p2, 0)
        .with_day(16)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap_or(p2);
    let split_end = p1.with_day(15).unwrap_or(p1);
    let nrp = format!("Y54{:08}", rng.range(0, 99_999_999));
    let mut builder = Builder {
        rng,
        nrp,
        periods: Periods {
            p1,
            p2,
            p1_end,
            split_start,
            split_end,
        },
        folio_seq: 0,
        trabajadores: Vec::new(),
        avisos: Vec::new(),
        casos: Vec::new(),
    };
    for tipo in [TipoCaso::Muestra, TipoCaso::Evaluacion] {
        for (k, descripcion) in KINDS.iter().enumerate() {
            builder.add_case(tipo, k + 1, descripcion);
        }
    }
    TestSet {
        id: id.clone(),
        nrp: builder.nrp,
        trabajadores: builder.trabajadores,
        avisos: builder.avisos,
        casos: builder.casos,
    }
}

/// The set as it is built. The order of the draws from `rng` is the set: never reorder them.
struct Builder {
    rng: Rng,
    nrp: String,
    periods: Periods,
    folio_seq: u64,
    trabajadores: Vec<Trabajador>,
    avisos: Vec<Aviso>,
    casos: Vec<Caso>,
}

impl Builder {
    fn next_folio(&mut self) -> String {
        self.folio_seq += 1;
        format!("AV{:06}{:06}", self.rng.range(0, 999_999), self.folio_seq)
    }

    /// One case of kind `kind` (1-7, see [`KINDS`]): its worker, avisos and row.
    fn add_case(&mut self, tipo: TipoCaso, kind: usize, descripcion: &str) {
        let Periods {
            p1,
            p2,
            p1_end,
            split_start,
            split_end,
        } = self.periods;
        let seq = self.trabajadores.len();
        let minimum = kind == 5;
        let sbc = if minimum {
            SALARIO_MINIMO_GENERAL.at(p1).unwrap_or(31_504)
        } else {
            self.rng.range(40_000, 150_000)
        };
        let t = worker(&mut self.rng, seq, sbc, minimum);
        let descuento = match kind {
            1 | 6 => Descuento::Porcentaje(*self.rng.pick(&[2000, 2500, 3000])),
            2 | 7 => Descuento::CuotaFija(self.rng.range(80_000, 300_000)),
            5 => Descuento::Factor(self.rng.range(200_000, 350_000)),
            _ => Descuento::Factor(self.rng.range(100_000, 300_000)),
        };
        let (inicio, fin) = match kind {
            4 | 6 => (split_start, split_end),
            _ => (p1, p1_end),
        };
        let inicio_descuento = if kind == 6 {
            days_after(inicio, self.rng.range(3, 10))
        } else {
            days_before(p2, self.rng.range(20, 400))
        };
        let otorgamiento = days_before(inicio_descuento, self.rng.range(20, 60));
        self.push_avisos(&t, kind, &descuento, otorgamiento, inicio_descuento);
        let prefix = if tipo == TipoCaso::Muestra { 'M' } else { 'E' };
        self.casos.push(Caso {
            id: format!("{prefix}{kind:02}"),
            tipo,
            nss: t.nss.clone(),
            num_credito: t.num_credito.clone(),
            periodo_inicio: inicio,
            periodo_fin: fin,
            descripcion: descripcion.to_string(),
        });
        self.trabajadores.push(t);
    }

    /// The worker's "15" (inicio de crédito), and for kind 7 its "16" (suspensión).
    fn push_avisos(
        &mut self,
        t: &Trabajador,
        kind: usize,
        descuento: &Descuento,
        otorgamiento: NaiveDate,
        inicio_descuento: NaiveDate,
    ) {
        let nrp = self.nrp.clone();
        let aviso =
            |tipo_aviso: &str, folio: String, fecha_aviso, inicio_desc, estatus: &str| Aviso {
                nrp: nrp.clone(),
                nss: t.nss.clone(),
                rfc_trabajador: t.rfc.clone(),
                curp_trabajador: t.curp.clone(),
                folio_aviso: folio,
                num_credito: t.num_credito.clone(),
                tipo_aviso: tipo_aviso.to_string(),
                fecha_aviso,
                fecha_otorgamiento: otorgamiento,
                fecha_inicio_descuento: inicio_desc,
                tipo_credito: "001".to_string(),
                estatus_credito: estatus.to_string(),
                tipo_descuento: descuento.tipo().to_string(),
                valor_descuento: descuento.valor(),
            };
        let folio = self.next_folio();
        let fecha_aviso = days_after(otorgamiento, self.rng.range(1, 10));
        self.avisos.push(aviso(
            TIPO_AVISO_INICIO,
            folio,
            fecha_aviso,
            inicio_descuento,
            "VIG",
        ));
        if kind == 7 {
            let suspension = days_after(self.periods.p1, self.rng.range(15, 45));
            let folio = self.next_folio();
            let fecha_aviso = days_before(suspension, self.rng.range(1, 7));
            self.avisos.push(aviso(
                TIPO_AVISO_SUSPENSION,
                folio,
                fecha_aviso,
                suspension,
                "SUS",
            ));
        }
    }
}
