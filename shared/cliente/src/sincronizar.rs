//! A run: every employer followed from its saved cursor (or from `inicio`) to the end of its
//! changes, up to [`Opciones::lote`] employers per request. After each request the changes are
//! appended to the outputs and then the state is saved ([`crate`] docs: exactly once across
//! interruptions). An employer refused for good (a wrong password, no live relation, a cursor
//! the service does not know) is reported with its reason and the others go on; a temporary
//! refusal (a limit, checks in flight, the store unavailable) is asked again after the wait the
//! service gave.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Error;
use crate::api::{Resultado, Servicio};
use crate::estado::{self, Estado};
use crate::patrones::Patron;
use crate::salida::Salida;

/// How many employers per request and changes per employer and request (the service takes up
/// to 100 of each).
#[derive(Debug, Clone, Copy)]
pub struct Opciones {
    pub lote: usize,
    pub por_pagina: u32,
}

impl Default for Opciones {
    fn default() -> Self {
        Opciones {
            lote: 100,
            por_pagina: 100,
        }
    }
}

/// An employer the run could not bring up to date, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rechazo {
    pub rfc: String,
    pub estatus: u16,
    pub codigo: String,
    pub mensaje: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resumen {
    pub patrones: usize,
    /// Employers whose output now holds every change published before their last answer.
    pub al_dia: usize,
    /// Changes received in this run.
    pub cambios: u64,
    /// Requests sent (logins included).
    pub solicitudes: u64,
    pub rechazados: Vec<Rechazo>,
    /// The caller stopped the run before the end (what was received is saved).
    pub interrumpido: bool,
}

/// Progress after each request, for a progress bar (or a caller that stops the run).
#[derive(Debug, Clone, Copy)]
pub struct Avance {
    /// Employers done (up to date or refused).
    pub terminados: usize,
    pub total: usize,
    pub cambios: u64,
}

/// Times one employer's consultation is asked again after a temporary refusal.
const MAX_REINTENTOS: u32 = 5;
/// The longest wait between requests after a temporary refusal.
const MAX_ESPERA_SEGUNDOS: u64 = 60;

fn temporal(estatus: u16, codigo: &str) -> bool {
    estatus == 503 || matches!(codigo, "LIMITE_EXCEDIDO" | "VERIFICACIONES_SIMULTANEAS")
}

/// Runs a synchronisation (see the module docs).
pub fn sincronizar(
    servicio: &mut Servicio,
    patrones: &[Patron],
    salida: &Salida,
    estado: &mut Estado,
    opciones: Opciones,
    mut al_avanzar: impl FnMut(&Avance) -> ControlFlow<()>,
) -> Result<Resumen, Error> {
    let lote = opciones.lote.clamp(1, 100);
    // What a run wrote after its last save goes: it is fetched again from the saved cursor.
    for p in patrones {
        salida.recortar(&p.rfc, estado.avance(&p.rfc).map_or(0, |a| a.bytes))?;
    }
    let inicial = servicio.solicitudes;
    let mut corrida = Corrida {
        patrones,
        salida,
        estado,
        cola: (0..patrones.len()).collect(),
        reintentos: vec![0; patrones.len()],
        terminados: 0,
        resumen: Resumen {
            patrones: patrones.len(),
            ..Resumen::default()
        },
    };
    while !corrida.cola.is_empty() {
        let tanda: Vec<usize> = corrida.cola.drain(..lote.min(corrida.cola.len())).collect();
        let resultados = servicio.consultar_lote(&corrida.consultas(&tanda, opciones))?;
        if resultados.len() != tanda.len() {
            return Err(Error::Conexion(format!(
                "el lote de {} consultas recibió {} resultados",
                tanda.len(),
                resultados.len()
            )));
        }
        let mut espera = 0;
        for (&i, r) in tanda.iter().zip(resultados) {
            espera = espera.max(corrida.recibir(i, r)?);
        }
        corrida.estado.guardar()?;
        let avance = Avance {
            terminados: corrida.terminados,
            total: patrones.len(),
            cambios: corrida.resumen.cambios,
        };
        if al_avanzar(&avance).is_break() {
            corrida.resumen.interrumpido = !corrida.cola.is_empty();
            break;
        }
        if espera > 0 && !corrida.cola.is_empty() {
            std::thread::sleep(Duration::from_secs(espera.min(MAX_ESPERA_SEGUNDOS)));
        }
    }
    let mut resumen = corrida.resumen;
    resumen.solicitudes = servicio.solicitudes - inicial;
    Ok(resumen)
}

/// A run in progress: the employers still to ask (by index into `patrones`), in order.
struct Corrida<'a> {
    patrones: &'a [Patron],
    salida: &'a Salida,
    estado: &'a mut Estado,
    cola: VecDeque<usize>,
    reintentos: Vec<u32>,
    terminados: usize,
    resumen: Resumen,
}

impl Corrida<'_> {
    /// The consultations of `tanda`, each from its employer's saved cursor.
    fn consultas(&self, tanda: &[usize], opciones: Opciones) -> Vec<Value> {
        tanda
            .iter()
            .map(|&i| {
                let p = &self.patrones[i];
                let cursor = self
                    .estado
                    .avance(&p.rfc)
                    .map_or("inicio", |a| a.cursor.as_str());
                json!({
                    "rfc_patron": p.rfc,
                    "contrasena": p.contrasena.as_str(),
                    "cursor": cursor,
                    "por_pagina": opciones.por_pagina,
                })
            })
            .collect()
    }

    /// Takes employer `i`'s result: its changes written and its cursor noted, or it asked again
    /// later, or its refusal kept. Returns the seconds the service asked to wait (0: none).
    fn recibir(&mut self, i: usize, r: Resultado) -> Result<u64, Error> {
        let rfc = &self.patrones[i].rfc;
        if let (200, Some(respuesta)) = (r.estatus, &r.respuesta) {
            let cambios = respuesta["cambios"].as_array().cloned().unwrap_or_default();
            let cursor = respuesta["cursor"]
                .as_str()
                .ok_or_else(|| Error::Conexion(format!("la respuesta de {rfc} no trae cursor")))?;
            let bytes = self.salida.agregar(rfc, &cambios)?;
            let avance = estado::Avance {
                cursor: cursor.to_string(),
                bytes,
            };
            self.estado.anotar(rfc, avance);
            self.resumen.cambios += cambios.len() as u64;
            if respuesta["pendientes"].as_u64().unwrap_or(0) > 0 {
                self.cola.push_back(i);
            } else {
                self.resumen.al_dia += 1;
                self.terminados += 1;
            }
            return Ok(0);
        }
        let (codigo, mensaje, reintentar_en) = r.error.unwrap_or_default();
        if temporal(r.estatus, &codigo) && self.reintentos[i] < MAX_REINTENTOS {
            self.reintentos[i] += 1;
            self.cola.push_back(i);
            return Ok(reintentar_en.unwrap_or(1));
        }
        self.terminados += 1;
        self.resumen.rechazados.push(Rechazo {
            rfc: rfc.clone(),
            estatus: r.estatus,
            codigo,
            mensaje,
        });
        Ok(0)
    }
}
