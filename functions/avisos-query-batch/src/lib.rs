//! `POST /api/v1/avisos/consultas/lote`: up to 100 consultations of different employers in one
//! request, each with its own service password and cursor (or date range). Each is gated,
//! limited, audited and answered on its own: one employer's refusal (a wrong password, a
//! malformed cursor, the `consultas` limit running out) leaves the others' answers standing.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_notices::consulta::{self, Answer, ConsultaLote};
use avisos_portal::{Env, Error};
use serde::Serialize;

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

/// One employer's outcome.
#[derive(Serialize)]
struct Resultado {
    /// As sent (upper case), or as read once valid.
    rfc_patron: String,
    /// The status this consultation alone would have answered with.
    estatus: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    respuesta: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Refusal>,
}

#[derive(Serialize)]
struct Refusal {
    codigo: String,
    mensaje: String,
    /// Seconds to wait before asking for this employer again (a throttle or a limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    reintentar_en: Option<u32>,
}

#[derive(Serialize)]
struct Respuesta {
    resultados: Vec<Resultado>,
}

fn refused(rfc_patron: String, e: Error) -> Resultado {
    Resultado {
        rfc_patron,
        estatus: e.status(),
        respuesta: None,
        error: Some(Refusal {
            codigo: e.codigo().to_string(),
            mensaje: e.mensaje().to_string(),
            reintentar_en: e.0.retry_after,
        }),
    }
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    // The first consultation is charged here, with the client's read; each further one below.
    let session = env.limited_read(&req, Bucket::Consultas)?;
    session.require_role(&[Role::Desarrollador])?;
    let body: ConsultaLote = req.json()?;
    let items = consulta::parse_batch(body)?;
    let key = env.password_key()?;
    let today = avisos_relations::today(env.now);
    let mut resultados = Vec::with_capacity(items.len());
    for (i, raw) in items.into_iter().enumerate() {
        let c = match consulta::parse_batch_item(raw, env.config.mode, today) {
            Ok(c) => c,
            Err((rfc, e)) => {
                resultados.push(refused(rfc, e.into()));
                continue;
            }
        };
        if i > 0
            && let Err(e) =
                env.config
                    .limits
                    .admit(env.kv(), Bucket::Consultas, &session.rfc, env.now)
        {
            resultados.push(refused(c.patron, e.into()));
            continue;
        }
        resultados.push(match env.consult(&session, &c, &key) {
            Ok(answer) => Resultado {
                rfc_patron: c.patron,
                estatus: 200,
                respuesta: Some(answer),
                error: None,
            },
            Err(e) => refused(c.patron, e.into()),
        });
    }
    Ok(HttpResponse::json(200, &Respuesta { resultados }).with_header("cache-control", "no-store"))
}
