//! `POST /api/v1/notificaciones/reintentos`: an analyst retries the queued e-mails (pending or
//! failed), oldest first.

use avisos_certification::notify;
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{Env, Error, mail};

avisos_spin::endpoint!(async [Post], 0, handle_request);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    env.config.require_analyst(&session)?;
    let correo = mail::config();
    let summary = notify::retry_queued(
        env.kv(),
        correo.as_ref(),
        env.now,
        |n| workflow::test_set_attachment(env.kv(), n),
        mail::send,
    )
    .await?;
    Ok(HttpResponse::json(200, &summary))
}
