//! `GET /api/v1/avisos/bitacora?pagina=&por_pagina=`: the employer sees who consulted its
//! avisos (newest first, paginated). Only its own audit: the session's RFC names it.

use avisos_acts::limits::Bucket;
use avisos_acts::session::Role;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_notices::bitacora;
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

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
