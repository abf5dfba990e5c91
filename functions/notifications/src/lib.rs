//! `GET /api/v1/notificaciones?pagina=`: the session's inbox, newest first: every e-mail the
//! service sent (or tried to send) to this RFC, with its delivery state.

use avisos_certification::notify;
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
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    let pagina = notify::parse_page(req.query_param("pagina").as_deref())?;
    Ok(HttpResponse::json(
        200,
        &notify::inbox(env.kv(), &session.rfc, pagina)?,
    ))
}
