//! `GET /api/v1/analistas/certificaciones?estatus=&pagina=`: the analyst's tray, one status at a
//! time (from its index, never a scan), the earliest deadline first.

use avisos_certification::{notify, workflow};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    env.config.require_analyst(&session)?;
    let estatus = workflow::status_filter(req.query_param("estatus").as_deref())?;
    let pagina = notify::parse_page(req.query_param("pagina").as_deref())?;
    Ok(HttpResponse::json(
        200,
        &workflow::list(env.kv(), estatus, pagina, env.now)?,
    ))
}
