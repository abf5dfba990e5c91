//! Tab 4: the unsealed CFDI de nómina, parsed with quick-xml (no external entities).

use super::{CfdiSummary, Problem};
use crate::money;

/// What the CFDI parse found.
#[derive(Default)]
struct CfdiScan {
    comprobante: bool,
    sello: Option<String>,
    nomina: bool,
    deduccion: Option<(String, String)>,
    receptor_rfc: Option<String>,
}

fn scan_cfdi(xml: &str) -> Result<CfdiScan, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut scan = CfdiScan::default();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let local = element.local_name();
        let attr = |key: &str| -> Option<String> {
            element.attributes().flatten().find_map(|a| {
                (a.key.local_name().as_ref() == key)
                    .then(|| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .flatten()
            })
        };
        match local.as_ref() {
            "Comprobante" => {
                scan.comprobante = true;
                scan.sello = attr("Sello");
            }
            "Nomina" => scan.nomina = true,
            "Receptor" if scan.receptor_rfc.is_none() => scan.receptor_rfc = attr("Rfc"),
            "Deduccion" => {
                let tipo = attr("TipoDeduccion").unwrap_or_default();
                if (tipo == "009" || tipo == "010") && scan.deduccion.is_none() {
                    scan.deduccion = Some((tipo, attr("Importe").unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    Ok(scan)
}

pub(super) fn check_cfdi(texts: &[String]) -> Result<CfdiSummary, Problem> {
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Problem::new(
            4,
            None,
            "CFDI_FALTANTE",
            "La pestaña 4 no contiene el XML del CFDI de nómina (columna A).",
        ));
    }
    // Chunks are joined as they are; a CFDI pasted one line per cell needs the line breaks back.
    let joined = texts.concat();
    let scan = match scan_cfdi(joined.trim()) {
        Ok(scan) => scan,
        Err(first) => scan_cfdi(texts.join("\n").trim()).map_err(|_| {
            Problem::new(
                4,
                None,
                "CFDI_INVALIDO",
                format!("El XML del CFDI de la pestaña 4 no es válido: {first}."),
            )
        })?,
    };
    if !scan.comprobante {
        return Err(Problem::new(
            4,
            None,
            "CFDI_INVALIDO",
            "El XML de la pestaña 4 no es un CFDI (falta cfdi:Comprobante).",
        ));
    }
    if scan.sello.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        return Err(Problem::new(
            4,
            None,
            "CFDI_SELLADO",
            "El CFDI de la pestaña 4 debe enviarse sin sellar (atributo Sello vacío o ausente).",
        ));
    }
    if !scan.nomina {
        return Err(Problem::new(
            4,
            None,
            "CFDI_NO_ES_NOMINA",
            "El CFDI de la pestaña 4 no tiene el complemento de nómina (nomina12:Nomina).",
        ));
    }
    let Some((tipo, importe)) = scan.deduccion else {
        return Err(Problem::new(
            4,
            None,
            "CFDI_SIN_DEDUCCION",
            "El CFDI de la pestaña 4 no incluye la deducción del crédito de vivienda (nomina12:Deduccion con TipoDeduccion 009 o 010).",
        ));
    };
    let importe = money::parse(&importe)
        .or_else(|| importe.trim().parse::<f64>().ok().and_then(money::from_f64))
        .unwrap_or(0);
    Ok(CfdiSummary {
        tipo_deduccion: tipo,
        importe,
        receptor_rfc: scan.receptor_rfc,
    })
}
