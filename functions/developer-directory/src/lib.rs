//! `GET /api/v1/desarrolladores?q=…`: the directory of certified developers, searched by the
//! beginning of the RFC or of the name (case- and accent-insensitive). Only developers whose
//! certification is authorised appear.

use avisos_acts::limits::Bucket;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};
use avisos_relations::directory;

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    env.limited_read(&req, Bucket::Directorio)?;
    let q = req.query_param("q").unwrap_or_default();
    Ok(HttpResponse::json(200, &directory::search(env.kv(), &q)?))
}
