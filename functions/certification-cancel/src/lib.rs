//! `POST /api/v1/certificaciones/:folio/cancelacion`: «Cancelar certificación»
//! (`CANCELAR_CERTIFICACION`). The acuse de cancelación is shown only in this answer (inline PDF
//! and a one-time download for this session), and a confirmation is e-mailed.

use avisos_acts::act::{ActSpec, SignedActRequest, actions, verify_signed_act};
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::notify::{self, MailConfig, MailRequest};
use avisos_certification::view::{self, Viewer};
use avisos_certification::workflow::{self, AVISO_CANCELACION, FOLIO_FIELDS};
use avisos_http::{ApiError, HttpRequest, HttpResponse, Method};
use avisos_portal::Env;
use avisos_spin::optional_variable;
use base64::Engine;
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
    let folio = match req.segments_after("/api/v1/certificaciones").as_slice() {
        [folio, what] if what == "cancelacion" => folio.clone(),
        _ => return Err(ApiError::not_found()),
    };
    let env = Env::load()?;
    let session = env.require_session(&req)?;
    session.require_role(&[Role::Desarrollador])?;
    let body: SignedActRequest = req.json()?;
    let spec = ActSpec::from_datos(
        actions::CANCELAR_CERTIFICACION,
        Some(TermsId::CertificacionCancelacion),
        &FOLIO_FIELDS,
        &body.datos,
    )?;
    avisos_certification::require_folio(&spec, &folio)?;
    avisos_certification::require_signer(&session, Role::Desarrollador, &body.rfc)?;
    avisos_certification::require_owner(env.kv(), &session, &folio)?;
    let seal = env.seal()?;
    let act = verify_signed_act(&env.act_context(), &body, spec)?;
    let mail = MailConfig::from_variables(
        optional_variable("correo_api_url"),
        optional_variable("correo_api_token"),
    );
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(avisos_spin::random::<32>());
    let done = workflow::cancel(
        env.kv(),
        &seal,
        &session,
        &act,
        &token,
        mail.is_some(),
        env.now,
    )?;
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
    let v = view::view(&done.certification, &cal, env.now, Viewer::Desarrollador);
    let pdf = avisos_acts::pdf::render(&done.acuse);
    let body = serde_json::json!({
        "folio": done.acuse.folio,
        "fecha": avisos_acts::iso(done.acuse.fecha),
        "rfc": done.acuse.rfc,
        "nombre": done.acuse.nombre,
        "certificacion": v,
        "acuse_cancelacion": {
            "pdf_base64": base64::engine::general_purpose::STANDARD.encode(pdf),
            "descarga": format!("/api/v1/certificaciones/{folio}/acuse-cancelacion?token={token}"),
            "solo_esta_sesion": true,
            "aviso": AVISO_CANCELACION,
        },
        "notificaciones": notificaciones,
    });
    Ok(HttpResponse::json(201, &body))
}
