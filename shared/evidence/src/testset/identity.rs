//! Fictitious identities: a seeded random stream, names, and NSS/RFC/CURP with valid check
//! digits.

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use super::{TestSetId, Trabajador};

/// SplitMix64: tiny, portable and stable across versions (the set must never change for an id).
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn from_id(id: &TestSetId) -> Rng {
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
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u64;
        lo + (self.next() % span) as i64
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
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

/// SAT check digit of a person's RFC over its first 12 characters (`efirma::rfc`'s rule).
pub fn rfc_check_digit(base: &str) -> Option<char> {
    let chars: Vec<char> = base.chars().collect();
    (chars.len() == 12).then(|| efirma::rfc::check_digit(&chars))?
}

/// RENAPO check digit of a CURP over its first 17 characters (`avisos_aviso`'s rule).
pub fn curp_check_digit(base: &str) -> Option<char> {
    avisos_aviso::curp_check_digit(&base.chars().collect::<Vec<_>>())
}

/// NSS check digit: Luhn over the first ten digits (`avisos_aviso`'s rule).
pub use avisos_aviso::nss_check_digit;

fn first_inner(word: &str, vowel: bool) -> char {
    word.chars()
        .skip(1)
        .find(|c| "AEIOU".contains(*c) == vowel)
        .unwrap_or('X')
}

fn initial(word: &str) -> char {
    word.chars().next().unwrap_or('X')
}

pub(super) fn worker(rng: &mut Rng, seq: usize, sbc: i64, salario_minimo: bool) -> Trabajador {
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
