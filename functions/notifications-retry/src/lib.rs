//! `POST /api/v1/notificaciones/reintentos`: an analyst retries the queued e-mails (pending or
//! failed), oldest first.

use avisos_certification::notify::{self, MailConfig, MailRequest};
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse, Method};
use avisos_portal::{Env, Error};
use avisos_spin::optional_variable;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint = avisos_spin::Endpoint::new(&[Method::Post], 0);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve_async(req, out, ENDPOINT, handle_request).await
}

async fn send(m: MailRequest) -> Result<u16, String> {
    avisos_spin::post_json(&m.url, m.token.as_deref(), m.body).await
}

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    env.config.require_analyst(&session)?;
    let mail = MailConfig::from_variables(
        optional_variable("correo_api_url"),
        optional_variable("correo_api_token"),
    );
    let summary = notify::retry_queued(
        env.kv(),
        mail.as_ref(),
        env.now,
        |n| workflow::test_set_attachment(env.kv(), n),
        send,
    )
    .await?;
    Ok(HttpResponse::json(200, &summary))
}
