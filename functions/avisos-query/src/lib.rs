//! `POST /api/v1/avisos/consultas`: a certified developer's payroll system consults an
//! employer's avisos (e.firma session as developer + the employer's service password in the
//! body; filters and pagination). Every attempt past the request's shape is audited.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_notices::consulta::{self, ConsultaRequest};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Consultas)?;
    session.require_role(&[Role::Desarrollador])?;
    let body: ConsultaRequest = req.json()?;
    let c = consulta::parse(body, env.config.mode, avisos_relations::today(env.now))?;
    let key = env.password_key()?;
    let r = env.consult(&session, &c, &key)?;
    Ok(HttpResponse::json(200, &r).with_header("cache-control", "no-store"))
}
