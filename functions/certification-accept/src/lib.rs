//! `POST /api/v1/certificaciones/:folio/aceptacion`: the developer signs the terms of the
//! Aprobación de Certificación (`ACEPTAR_APROBACION`) → «Certificación autorizada», its
//! responsiva, and the developer enters the employers' directory; the `autorizacion` e-mail
//! confirms it.

use avisos_acts::act::actions::ACEPTAR_APROBACION;
use avisos_acts::terms::TermsId;
use avisos_certification::view::Viewer;
use avisos_certification::workflow;
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, mail};

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute =
    ActRoute::on_certification(ACEPTAR_APROBACION, TermsId::CertificacionAprobacion);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let a = env.certification_act(&req, &ACT)?;
    let done = workflow::accept(
        env.kv(),
        &a.seal,
        &a.session,
        &a.act,
        mail::enabled(),
        env.now,
    )?;
    env.registered(&done, Viewer::Desarrollador).await
}
