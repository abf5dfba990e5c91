//! The request environment of a portal component: the store, the clock, randomness and the
//! service configuration from Spin variables, plus the secrets (session key, seal) resolved
//! lazily so a component that does not need them never pays for them.
//!
//! Components stay thin: `Env::load()?`, then call logic in `avisos-acts` or a domain crate; a
//! component that receives a signed act gets it checked and verified by [`Env::signed_act`].

mod act;

pub use act::{ActRoute, SignedAct};
use avisos_acts::config::{RawConfig, ServiceConfig};
use avisos_acts::seal::{self, ServiceSeal};
use avisos_acts::session::{self, Session};
use avisos_http::{ApiError, HttpRequest};
use avisos_kv::KeyValue;
pub use avisos_spin::random;
use avisos_spin::{SpinKv, open_kv, optional_variable};
use chrono::{DateTime, Utc};

pub struct Env {
    pub kv: SpinKv,
    pub config: ServiceConfig,
    pub now: DateTime<Utc>,
}

impl Env {
    /// Opens the default store and reads the configuration variables.
    pub fn load() -> Result<Env, ApiError> {
        let raw = RawConfig {
            modo: optional_variable("modo").unwrap_or_default(),
            confianza_efirma: optional_variable("confianza_efirma").unwrap_or_default(),
            efirma_revocados: optional_variable("efirma_revocados").unwrap_or_default(),
            analistas: optional_variable("analistas").unwrap_or_default(),
            limites: optional_variable("limites").unwrap_or_default(),
            cabecera_cliente: optional_variable("cabecera_cliente").unwrap_or_default(),
        };
        let config = ServiceConfig::from_raw(&raw)?;
        let kv = open_kv()?;
        Ok(Env {
            kv,
            config,
            now: avisos_spin::now(),
        })
    }

    pub fn kv(&self) -> &dyn KeyValue {
        &self.kv
    }

    /// What verifying a signed act of `req` depends on, its client address included.
    pub fn act_context(&self, req: &HttpRequest) -> avisos_acts::act::ActContext<'_> {
        avisos_acts::act::ActContext {
            kv: &self.kv,
            config: &self.config,
            now: self.now,
            client: self.config.client_address(req),
        }
    }

    /// The HMAC key for session tokens.
    pub fn session_key(&self) -> Result<Vec<u8>, ApiError> {
        session::resolve_key(
            &self.kv,
            self.config.mode,
            &optional_variable("clave_sesion").unwrap_or_default(),
            random(),
        )
    }

    /// The session of the request (401 when absent, invalid or expired).
    pub fn require_session(&self, req: &HttpRequest) -> Result<Session, ApiError> {
        session::require(req, &self.session_key()?, &self.kv, self.now)
    }

    /// The service's seal key.
    pub fn seal(&self) -> Result<ServiceSeal, ApiError> {
        seal::resolve(
            &self.kv,
            self.config.mode,
            &optional_variable("llave_sello").unwrap_or_default(),
            || {
                let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
                seal::generate_pem(&mut rng, 2048)
            },
        )
    }
}
