//! `POST /api/v1/certificaciones/:folio/aceptacion`: the developer signs the terms of the
//! Aprobación de Certificación (`ACEPTAR_APROBACION`) → «Certificación autorizada», its
//! responsiva, and the developer enters the employers' directory; the `autorizacion` e-mail
//! confirms it.

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_acts::terms::TermsId;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, FOLIO_FIELDS};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail};

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute = ActRoute::new(actions::ACEPTAR_APROBACION, Role::Desarrollador)
    .terms(TermsId::CertificacionAprobacion)
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
    let done = workflow::accept(env.kv(), &seal, &session, &act, correo.is_some(), env.now)?;
    env.registered(&done, correo.as_ref(), Viewer::Desarrollador)
        .await
}
