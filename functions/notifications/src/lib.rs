//! `GET /api/v1/notificaciones?pagina=`: the session's inbox, newest first: every e-mail the
//! service sent (or tried to send) to this RFC, with its delivery state.

use avisos_certification::notify;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error};

avisos_spin::endpoint!([Get], 0, handle_request);

fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    let pagina = notify::parse_page(req.query_param("pagina").as_deref())?;
    Ok(HttpResponse::json(
        200,
        &notify::inbox(env.kv(), &session.rfc, pagina)?,
    ))
}
