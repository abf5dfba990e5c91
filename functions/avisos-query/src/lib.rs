//! `POST /api/v1/avisos/consultas`: a certified developer's payroll system consults an
//! employer's avisos (e.firma session as developer + the employer's service password in the
//! body; filters and pagination). Every attempt past the request's shape is audited.

use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let answer = Env::load()?.consult_request(&req)?;
    Ok(HttpResponse::json(200, &answer).with_header("cache-control", "no-store"))
}
