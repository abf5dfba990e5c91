//! `POST /api/v1/certificaciones/:folio/cancelacion`: «Cancelar certificación»
//! (`CANCELAR_CERTIFICACION`). The acuse de cancelación is shown only in this answer (inline PDF
//! and a one-time download for this session), and a confirmation is e-mailed.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::answer::Cancelled;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, FOLIO_FIELDS};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail};
use base64::Engine;

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::CANCELAR_CERTIFICACION, Role::Desarrollador)
    .terms(TermsId::CertificacionCancelacion)
    .fields(&FOLIO_FIELDS);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let (
        _,
        SignedAct {
            session, seal, act, ..
        },
    ) = env.certification_act(&req, &ACT)?;
    let correo = mail::config();
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(avisos_spin::random::<32>());
    let done = workflow::cancel(
        env.kv(),
        &seal,
        &session,
        &act,
        &token,
        correo.is_some(),
        env.now,
    )?;
    let (view, notificaciones) = env
        .deliver(&done, correo.as_ref(), Viewer::Desarrollador)
        .await?;
    let pdf = avisos_acts::pdf::render(&done.acuse);
    let answer = Cancelled::new(&done.acuse, &pdf, &token, view, notificaciones);
    Ok(HttpResponse::json(201, &answer))
}
