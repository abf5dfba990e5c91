//! `GET /api/v1/avisos/bitacora?pagina=&por_pagina=`: the employer sees who consulted its
//! avisos (newest first, paginated). Only its own audit: the session's RFC names it.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_avisos::bitacora;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Get], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve(req, out, ENDPOINT, handle_request).await
}

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let pagina = req.query_number("pagina", 1, 1_000_000)?;
    let por_pagina = req.query_number(
        "por_pagina",
        bitacora::DEFAULT_POR_PAGINA,
        bitacora::MAX_POR_PAGINA,
    )?;
    let env = Env::load()?;
    let session = env.limited_read(&req, Bucket::Bitacora)?;
    session.require_role(&[Role::Patron])?;
    let listado = bitacora::list(env.kv(), &session.rfc, pagina, por_pagina)?;
    Ok(HttpResponse::json(200, &listado).with_header("cache-control", "no-store"))
}
