//! `POST /api/v1/avisos/consultas/lote`: up to 100 consultations of different employers in one
//! request, each with its own service password and cursor (or date range). Each is gated,
//! limited, audited and answered on its own: one employer's refusal (a wrong password, a
//! malformed cursor, the `consultas` limit running out) leaves the others' answers standing.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_notices::consulta::{self, ConsultaLote};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    // The first consultation is charged here, with the client's read; each further one by
    // `consult_batch`.
    let session = env.limited_read(&req, Bucket::Consultas)?;
    session.require_role(&[Role::Desarrollador])?;
    let body: ConsultaLote = req.json()?;
    let items = consulta::parse_batch(body)?;
    let key = env.password_key()?;
    let answer = env.consult_batch(&session, items, &key);
    Ok(HttpResponse::json(200, &answer).with_header("cache-control", "no-store"))
}
