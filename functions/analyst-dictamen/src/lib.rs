//! `POST /api/v1/analistas/certificaciones/:folio/dictamen`: the analyst's signed decision
//! (`DICTAMINAR_CERTIFICACION`): approve, or inconsistencies with observations and a new test
//! set. The developer is notified (portal inbox and e-mail).

use avisos_acts::act::actions;
use avisos_acts::session::Role;
use avisos_certification::view::Viewer;
use avisos_certification::workflow::{self, DICTAMEN_FIELDS};
use avisos_http::{HttpRequest, HttpResponse};
use avisos_portal::{ActRoute, Env, Error, SignedAct, mail};

avisos_spin::endpoint!(async [Post], avisos_spin::JSON_BODY_LIMIT, handle_request);

const ACT: ActRoute =
    ActRoute::new(actions::DICTAMINAR_CERTIFICACION, Role::Analista).fields(&DICTAMEN_FIELDS);

async fn handle_request(req: HttpRequest) -> Result<HttpResponse, Error> {
    let env = Env::load()?;
    let SignedAct { seal, act, .. } = env.certification_act(&req, &ACT)?;
    let semilla = u64::from_le_bytes(avisos_spin::random::<8>());
    let done = workflow::dictaminar(env.kv(), &seal, &act, semilla, mail::enabled(), env.now)?;
    env.registered(&done, Viewer::Analista).await
}
