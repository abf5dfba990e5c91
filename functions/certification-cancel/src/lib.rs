//! `POST /api/v1/certificaciones/:folio/cancelacion`: «Cancelar certificación»
//! (`CANCELAR_CERTIFICACION`). The acuse de cancelación is shown only in this answer (inline PDF
//! and a one-time download for this session), and a confirmation is e-mailed.

use avisos_acts::act::actions::CANCELAR_CERTIFICACION;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Cancelled;
use avisos_certification::view::Viewer;
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, mail};
use base64::Engine;

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute =
    ActRoute::on_certification(CANCELAR_CERTIFICACION, TermsId::CertificacionCancelacion);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    // The one-time download of the acuse de cancelación for this session.
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(avisos_spin::random::<32>());
    let a = env.certification_act(&req, &ACT)?;
    let done = workflow::cancel(
        env.kv(),
        &a.seal,
        &a.session,
        &a.act,
        &token,
        mail::enabled(),
        env.now,
    )?;
    let (view, notificaciones) = env.deliver(&done, Viewer::Desarrollador).await?;
    let pdf = avisos_acts::pdf::render(&done.acuse);
    let answer = Cancelled::new(&done.acuse, &pdf, &token, view, notificaciones);
    Ok(HttpResponse::json(201, &answer))
}
