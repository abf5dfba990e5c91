//! `POST /api/v1/avisos/consultas/lote`: up to 100 consultations of different employers in one
//! request, each with its own service password and cursor (or date range). Each is gated,
//! limited, audited and answered on its own: one employer's refusal (a wrong password, a
//! malformed cursor, the `consultas` limit running out) leaves the others' answers standing.

use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let answer = Env::load()?.consult_batch_request(&req)?;
    Ok(HttpResponse::json(200, &answer).with_header("cache-control", "no-store"))
}
