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

use std::io::Write;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::money;
use crate::retention::{self, Descuento, Entrada, SALARIO_MINIMO_GENERAL};

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

/// SplitMix64: tiny, portable and stable across versions (the set must never change for an id).
struct Rng(u64);

impl Rng {
    fn from_id(id: &TestSetId) -> Rng {
        let mut h = Sha256::new();
        h.update(b"avisos-evidence/testset/v1\0");
        h.update(id.semilla.to_be_bytes());
        h.update(id.folio.as_bytes());
        h.update(b"\0");
        h.update(id.ronda.to_be_bytes());
        h.update(id.fecha.to_string().as_bytes());
        let digest = h.finalize();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Rng(u64::from_be_bytes(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u64;
        lo + (self.next() % span) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

const NOMBRES_H: [&str; 10] = [
    "JUAN", "CARLOS", "LUIS", "MIGUEL", "JORGE", "RICARDO", "FERNANDO", "ALBERTO", "DANIEL", "RAUL",
];
const NOMBRES_M: [&str; 10] = [
    "ANA", "LAURA", "GABRIELA", "PATRICIA", "SOFIA", "ELENA", "ROSA", "CLAUDIA", "DIANA", "LETICIA",
];
const APELLIDOS: [&str; 20] = [
    "HERNANDEZ",
    "GARCIA",
    "MARTINEZ",
    "LOPEZ",
    "GONZALEZ",
    "RODRIGUEZ",
    "PEREZ",
    "SANCHEZ",
    "RAMIREZ",
    "TORRES",
    "FLORES",
    "RIVERA",
    "GOMEZ",
    "DIAZ",
    "CRUZ",
    "MORALES",
    "REYES",
    "JIMENEZ",
    "RUIZ",
    "MENDOZA",
];
const ENTIDADES: [&str; 8] = ["DF", "JC", "NL", "MC", "PL", "GT", "VZ", "YN"];
const HOMOCLAVE: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUVWXYZ";

/// SAT check digit of a person's RFC over its first 12 characters (DOMAIN.md).
pub fn rfc_check_digit(base: &str) -> Option<char> {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";
    let chars: Vec<char> = base.chars().collect();
    if chars.len() != 12 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in chars.iter().enumerate() {
        let v = ALPHABET.chars().position(|a| a == *c)? as u32;
        sum += v * (13 - i as u32);
    }
    Some(match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        d => char::from_digit(d, 10)?,
    })
}

/// RENAPO check digit of a CURP over its first 17 characters.
pub fn curp_check_digit(base: &str) -> Option<char> {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
    let chars: Vec<char> = base.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in chars.iter().enumerate() {
        sum += ALPHABET.chars().position(|a| a == *c)? as u32 * (18 - i as u32);
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// NSS check digit: Luhn over the first ten digits.
pub fn nss_check_digit(first_ten: &str) -> Option<char> {
    if first_ten.len() != 10 || !first_ten.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first_ten
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
            if d > 9 { d - 9 } else { d }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10)
}

fn first_inner(word: &str, vowel: bool) -> char {
    word.chars()
        .skip(1)
        .find(|c| "AEIOU".contains(*c) == vowel)
        .unwrap_or('X')
}

fn initial(word: &str) -> char {
    word.chars().next().unwrap_or('X')
}

fn worker(rng: &mut Rng, seq: usize, sbc: i64, salario_minimo: bool) -> Trabajador {
    let mujer = rng.next().is_multiple_of(2);
    let nombre = *rng.pick(if mujer { &NOMBRES_M } else { &NOMBRES_H });
    let paterno = *rng.pick(&APELLIDOS);
    let materno = *rng.pick(&APELLIDOS);
    let nacimiento = NaiveDate::from_ymd_opt(
        rng.range(1970, 1999) as i32,
        rng.range(1, 12) as u32,
        rng.range(1, 28) as u32,
    )
    .unwrap_or(NaiveDate::MIN);
    let letters = format!(
        "{}{}{}{}",
        initial(paterno),
        first_inner(paterno, true),
        initial(materno),
        initial(nombre)
    );
    let fecha = nacimiento.format("%y%m%d").to_string();
    let homoclave: String = (0..2).map(|_| char::from(*rng.pick(HOMOCLAVE))).collect();
    let rfc_base = format!("{letters}{fecha}{homoclave}");
    let rfc = format!("{rfc_base}{}", rfc_check_digit(&rfc_base).unwrap_or('0'));
    let curp_base = format!(
        "{letters}{fecha}{}{}{}{}{}{}",
        if mujer { 'M' } else { 'H' },
        rng.pick(&ENTIDADES),
        first_inner(paterno, false),
        first_inner(materno, false),
        first_inner(nombre, false),
        rng.range(0, 9)
    );
    let curp = format!("{curp_base}{}", curp_check_digit(&curp_base).unwrap_or('0'));
    let alta = nacimiento.year() + 18 + rng.range(0, 8) as i32;
    let nss_base = format!(
        "{:02}{:02}{:02}{:04}",
        rng.range(1, 99),
        alta % 100,
        nacimiento.year() % 100,
        rng.range(0, 9999)
    );
    let nss = format!("{nss_base}{}", nss_check_digit(&nss_base).unwrap_or('0'));
    // Credit numbers: ten digits, unique within the set through `seq`.
    let num_credito = format!(
        "{}{:02}{:05}",
        rng.range(100, 999),
        seq,
        rng.range(0, 99_999)
    );
    Trabajador {
        nss,
        rfc,
        curp,
        nombre: format!("{nombre} {paterno} {materno}"),
        num_credito,
        sbc,
        salario_minimo,
    }
}

/// The first day of the bimester containing `d`, and the previous bimester's first day.
fn bimester_start(d: NaiveDate) -> NaiveDate {
    retention::bimester_of(d).1
}

fn previous_bimester(start: NaiveDate) -> NaiveDate {
    bimester_start(start.pred_opt().unwrap_or(start))
}

fn days_before(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_sub_days(Days::new(n as u64)).unwrap_or(d)
}

fn days_after(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
}

/// The reference tables start in 2024: sets dated earlier use May 2024 for their periods.
fn effective_date(fecha: NaiveDate) -> NaiveDate {
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

    let mut trabajadores = Vec::new();
    let mut avisos = Vec::new();
    let mut casos = Vec::new();
    let mut folio_seq = 0u64;
    let mut next_folio = |rng: &mut Rng| {
        folio_seq += 1;
        format!("AV{:06}{:06}", rng.range(0, 999_999), folio_seq)
    };

    for tipo in [TipoCaso::Muestra, TipoCaso::Evaluacion] {
        for (k, descripcion) in KINDS.iter().enumerate() {
            let kind = k + 1;
            let seq = trabajadores.len();
            let minimum = kind == 5;
            let sbc = if minimum {
                SALARIO_MINIMO_GENERAL.at(p1).unwrap_or(31_504)
            } else {
                rng.range(40_000, 150_000)
            };
            let t = worker(&mut rng, seq, sbc, minimum);
            let descuento = match kind {
                1 | 6 => Descuento::Porcentaje(*rng.pick(&[2000, 2500, 3000])),
                2 | 7 => Descuento::CuotaFija(rng.range(80_000, 300_000)),
                5 => Descuento::Factor(rng.range(200_000, 350_000)),
                _ => Descuento::Factor(rng.range(100_000, 300_000)),
            };
            let (inicio, fin) = match kind {
                4 | 6 => (split_start, split_end),
                _ => (p1, p1_end),
            };
            let inicio_descuento = if kind == 6 {
                days_after(inicio, rng.range(3, 10))
            } else {
                days_before(p2, rng.range(20, 400))
            };
            let otorgamiento = days_before(inicio_descuento, rng.range(20, 60));
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
            let folio = next_folio(&mut rng);
            avisos.push(aviso(
                TIPO_AVISO_INICIO,
                folio,
                days_after(otorgamiento, rng.range(1, 10)),
                inicio_descuento,
                "VIG",
            ));
            if kind == 7 {
                let suspension = days_after(p1, rng.range(15, 45));
                let folio = next_folio(&mut rng);
                avisos.push(aviso(
                    TIPO_AVISO_SUSPENSION,
                    folio,
                    days_before(suspension, rng.range(1, 7)),
                    suspension,
                    "SUS",
                ));
            }
            let prefix = if tipo == TipoCaso::Muestra { 'M' } else { 'E' };
            casos.push(Caso {
                id: format!("{prefix}{kind:02}"),
                tipo,
                nss: t.nss.clone(),
                num_credito: t.num_credito.clone(),
                periodo_inicio: inicio,
                periodo_fin: fin,
                descripcion: descripcion.to_string(),
            });
            trabajadores.push(t);
        }
    }
    TestSet {
        id: id.clone(),
        nrp,
        trabajadores,
        avisos,
        casos,
    }
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

    /// The JSON files of the package's avisos: `(name, bytes)`.
    pub fn aviso_files(&self) -> Vec<(String, Vec<u8>)> {
        self.consultas()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let json = serde_json::to_vec_pretty(c).unwrap_or_default();
                (format!("avisos/consulta-{}.json", i + 1), json)
            })
            .collect()
    }

    /// The package the developer receives (.zip): LEEME.txt, the avisos as the service returns
    /// them (one JSON file per consultation), the cases' inputs (CSV and JSON), and a workbook
    /// template with the four tabs and one row per case. Never the expected results.
    pub fn package_zip(&self) -> Vec<u8> {
        let mut files: Vec<(String, Vec<u8>)> =
            vec![("LEEME.txt".to_string(), self.leeme().into_bytes())];
        files.extend(self.aviso_files());
        for tipo in [TipoCaso::Muestra, TipoCaso::Evaluacion] {
            let name = match tipo {
                TipoCaso::Muestra => "casos/muestras.csv",
                TipoCaso::Evaluacion => "casos/evaluacion.csv",
            };
            files.push((name.to_string(), self.cases_csv(tipo).into_bytes()));
        }
        let inputs: Vec<serde_json::Value> = self
            .casos
            .iter()
            .map(|c| {
                let t = self.trabajador(&c.nss);
                serde_json::json!({
                    "caso": c.id,
                    "tipo": c.tipo,
                    "nss": c.nss,
                    "num_credito": c.num_credito,
                    "nombre": t.map(|t| t.nombre.as_str()),
                    "sbc": t.map(|t| money::format(t.sbc)),
                    "salario_minimo": t.map(|t| t.salario_minimo),
                    "periodo_inicio": c.periodo_inicio,
                    "periodo_fin": c.periodo_fin,
                    "descripcion": c.descripcion,
                })
            })
            .collect();
        files.push((
            "casos/casos.json".to_string(),
            serde_json::to_vec_pretty(&inputs).unwrap_or_default(),
        ));
        files.push((
            "plantilla-evidencias.xlsx".to_string(),
            crate::sample::template_xlsx(self),
        ));
        zip_files(&files)
    }

    fn cases_csv(&self, tipo: TipoCaso) -> String {
        let mut out = String::from(
            "caso,nss,num_credito,nombre,sbc_diario,salario_minimo,periodo_inicio,periodo_fin,descripcion\r\n",
        );
        for c in self.casos.iter().filter(|c| c.tipo == tipo) {
            let Some(t) = self.trabajador(&c.nss) else {
                continue;
            };
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},\"{}\"\r\n",
                c.id,
                c.nss,
                c.num_credito,
                t.nombre,
                money::format(t.sbc),
                if t.salario_minimo { "si" } else { "no" },
                c.periodo_inicio,
                c.periodo_fin,
                c.descripcion.replace('"', "\"\"")
            ));
        }
        out
    }

    /// The instructions, in Spanish.
    pub fn leeme(&self) -> String {
        let muestras = self
            .casos
            .iter()
            .filter(|c| c.tipo == TipoCaso::Muestra)
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let evaluacion = self
            .casos
            .iter()
            .filter(|c| c.tipo == TipoCaso::Evaluacion)
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        LEEME
            .replace("{folio}", &self.id.folio)
            .replace("{ronda}", &self.id.ronda.to_string())
            .replace("{fecha}", &self.id.fecha.format("%d/%m/%Y").to_string())
            .replace("{nrp}", &self.nrp)
            .replace("{muestras}", &muestras)
            .replace("{evaluacion}", &evaluacion)
            .replace("\n", "\r\n")
    }
}

const LEEME: &str = include_str!("LEEME.txt");

/// A deterministic zip (fixed timestamps, given order, deflate).
pub(crate) fn zip_files(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in files {
        // Writing to memory only fails on a programming error; an empty zip is then the result.
        if writer.start_file(name.as_str(), options).is_err() || writer.write_all(bytes).is_err() {
            return Vec::new();
        }
    }
    writer
        .finish()
        .map(|cursor| cursor.into_inner())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn id() -> TestSetId {
        TestSetId {
            semilla: 42,
            folio: "0501423523".to_string(),
            ronda: 1,
            fecha: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        }
    }

    #[test]
    fn deterministic_set_and_package() {
        let a = generate(&id());
        let b = generate(&id());
        assert_eq!(a, b);
        assert_eq!(a.package_zip(), b.package_zip());
        let mut other = id();
        other.ronda = 2;
        let c = generate(&other);
        assert_ne!(a.trabajadores, c.trabajadores);
        assert_ne!(a.package_zip(), c.package_zip());
    }

    #[test]
    fn identities_carry_valid_check_digits() {
        let set = generate(&id());
        assert_eq!(set.trabajadores.len(), 14);
        for t in &set.trabajadores {
            assert_eq!(t.nss.len(), 11);
            assert_eq!(
                nss_check_digit(&t.nss[..10]),
                t.nss.chars().last(),
                "{}",
                t.nss
            );
            assert_eq!(t.rfc.chars().count(), 13);
            assert_eq!(
                rfc_check_digit(&t.rfc[..12]),
                t.rfc.chars().last(),
                "{}",
                t.rfc
            );
            assert_eq!(t.curp.chars().count(), 18);
            assert_eq!(
                curp_check_digit(&t.curp[..17]),
                t.curp.chars().last(),
                "{}",
                t.curp
            );
            assert_eq!(t.num_credito.len(), 10);
            assert!(t.num_credito.bytes().all(|b| b.is_ascii_digit()));
        }
        let mut credits: Vec<&str> = set
            .trabajadores
            .iter()
            .map(|t| t.num_credito.as_str())
            .collect();
        credits.sort_unstable();
        credits.dedup();
        assert_eq!(credits.len(), 14);
        let mut folios: Vec<&str> = set.avisos.iter().map(|a| a.folio_aviso.as_str()).collect();
        folios.sort_unstable();
        folios.dedup();
        assert_eq!(folios.len(), set.avisos.len());
        assert!(
            set.avisos
                .iter()
                .all(|a| a.folio_aviso.len() == 14 && a.nrp.len() == 11)
        );
    }

    #[test]
    fn rfc_digit_matches_sat_examples() {
        // The demo credentials' RFCs (static/demo/efirma) carry valid digits.
        assert_eq!(rfc_check_digit("DELP900303MN"), Some('5'));
        assert_eq!(rfc_check_digit("AIGL850215QR"), Some('5'));
    }

    #[test]
    fn cases_cover_every_rule() {
        let set = generate(&id());
        assert_eq!(set.casos.len(), 14);
        let expected = set.expected();
        assert_eq!(expected.len(), 14);
        assert!(
            expected.iter().all(|(_, amount)| *amount > 0),
            "{expected:?}"
        );
        let tipos: Vec<String> = set
            .casos
            .iter()
            .filter_map(|c| set.entrada(c))
            .map(|e| e.descuento.tipo().to_string())
            .collect();
        for t in ["1", "2", "3"] {
            assert!(tipos.iter().any(|x| x == t));
        }
        for caso in &set.casos {
            let calculo = set.calculo(caso).expect("computable");
            match &caso.id[1..] {
                "04" | "06" => {
                    assert_eq!(calculo.pasos.len(), 2, "{} splits", caso.id);
                    assert_eq!(calculo.seguro_danos, 3000);
                }
                "05" => assert!(calculo.pasos[0].detalle.contains("tope salario mínimo")),
                "07" => assert!(calculo.pasos[0].dias < calculo.pasos[0].dias_bimestre),
                _ => assert_eq!(calculo.seguro_danos, 1500),
            }
        }
    }

    #[test]
    fn package_never_holds_expected_results() {
        let set = generate(&id());
        let zip = set.package_zip();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
        let names: Vec<String> = archive
            .file_names()
            .filter_map(|n| n.ok())
            .map(|n| n.into_owned())
            .collect();
        for needed in [
            "LEEME.txt",
            "avisos/consulta-1.json",
            "avisos/consulta-2.json",
            "casos/muestras.csv",
            "casos/evaluacion.csv",
            "casos/casos.json",
            "plantilla-evidencias.xlsx",
        ] {
            assert!(names.iter().any(|n| n == needed), "{needed} in {names:?}");
        }
        let mut text = String::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).expect("entry");
            if f.name().expect("name").ends_with(".xlsx") {
                continue;
            }
            std::io::Read::read_to_string(&mut f, &mut text).expect("utf-8");
        }
        for (_, amount) in set.expected() {
            assert!(!text.contains(&money::format(amount)), "{amount} leaked");
        }
        assert!(text.contains("2 Resultados"));
        // Every aviso is in exactly one consultation.
        let total: usize = set.consultas().iter().map(|c| c.avisos.len()).sum();
        assert_eq!(total, set.avisos.len());
    }
}
