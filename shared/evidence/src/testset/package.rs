//! The package the developer receives, and the deterministic zip it is written with.

use std::io::Write;

use super::{TestSet, TipoCaso};
use crate::money;

impl TestSet {
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

const LEEME: &str = include_str!("../LEEME.txt");

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
