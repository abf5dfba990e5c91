//! `GET /api/v1/desarrolladores?q=…`: the directory of certified developers, searched by the
//! beginning of the RFC or of the name (case- and accent-insensitive). Only developers whose
//! certification is authorised appear.

use avisos_acts::limits::Bucket;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_relations::directory;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Get], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    env.limited_read(&req, Bucket::Directorio)?;
    let q = req.query_param("q").unwrap_or_default();
    Ok(HttpResponse::json(200, &directory::search(env.kv(), &q)?))
}
