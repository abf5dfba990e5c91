//! Determinism, check digits, case coverage and the package's contents.

use super::*;
use crate::money;

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
