//! Gates for `avisos_spin::endpoint!([Post], limit, gate => handler)`: what a route that takes a
//! large body checks on the request's head, before the body is read. Each loads the request's
//! [`Env`] and hands it to the handler with the caller's session.

use avisos_acts::limits::Bucket;
use avisos_acts::session::{Role, Session};
use avisos_http::HttpRequest;

use crate::{Env, Error};

/// A session charged to `bucket` (and the client to `lecturas_cliente` before it), as
/// [`Env::limited_read`].
pub fn reader(bucket: Bucket) -> impl FnOnce(&HttpRequest) -> Result<(Env, Session), Error> {
    move |req| {
        let env = Env::load()?;
        let session = env.limited_read(req, bucket)?;
        Ok((env, session))
    }
}

/// The session of an act's signer in `role`, as [`Env::signer_session`].
pub fn signer(role: Role) -> impl FnOnce(&HttpRequest) -> Result<(Env, Session), Error> {
    move |req| {
        let env = Env::load()?;
        let session = env.signer_session(req, role)?;
        Ok((env, session))
    }
}
