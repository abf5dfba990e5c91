//! `POST /api/v1/analistas/certificaciones/:folio/dictamen`: the analyst's signed decision
//! (`DICTAMINAR_CERTIFICACION`): approve, or inconsistencies with observations and a new test
//! set. The developer is notified (portal inbox and e-mail).

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_certification::notify::{self, MailConfig, MailRequest};
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow::{self, DICTAMEN_FIELDS, Registered};
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::Env;
use avisos_spin::optional_variable;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

const ENDPOINT: avisos_spin::Endpoint =
    avisos_spin::Endpoint::new(&[Method::Post], avisos_spin::JSON_BODY_LIMIT);

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    avisos_spin::serve_async(req, out, ENDPOINT, handle_request).await
}

async fn send(m: MailRequest) -> Result<u16, String> {
    avisos_spin::post_json(&m.url, m.token.as_deref(), m.body).await
}

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let folio = match req
        .segments_after("/api/v1/analistas/certificaciones")
        .as_slice()
    {
        [folio, what] if what == "dictamen" => folio.clone(),
        _ => return Err(ApiError::not_found()),
    };
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    avisos_certification::require_analyst(&session, env.config.is_analyst(&session.rfc))?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(
        actions::DICTAMINAR_CERTIFICACION,
        None,
        &DICTAMEN_FIELDS,
        &body.datos,
    )?;
    avisos_certification::require_folio(&spec, &folio)?;
    avisos_certification::require_signer(&session, Role::Analista, &body.rfc)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(), &body, spec)?;
    let mail = MailConfig::from_variables(
        optional_variable("correo_api_url"),
        optional_variable("correo_api_token"),
    );
    let semilla = u64::from_le_bytes(avisos_spin::random::<8>());
    let done = workflow::dictaminar(env.kv(), &seal, &act, semilla, mail.is_some(), env.now)?;
    let ids: Vec<String> = done.notifications.iter().map(|n| n.id.clone()).collect();
    let notificaciones = notify::deliver(
        env.kv(),
        mail.as_ref(),
        &ids,
        notify::RETRY_PER_ACT,
        env.now,
        |n| workflow::test_set_attachment(env.kv(), n),
        send,
    )
    .await?;
    let cal = workflow::calendar_of(env.kv(), &done.certification)?;
    let v = view::view(&done.certification, &cal, env.now, Viewer::Analista);
    Ok(HttpResponse::json(
        201,
        &Registered::new(&done.acuse, v, notificaciones),
    ))
}
