//! The request environment of a portal component: the store, the clock, randomness and the
//! service configuration from Spin variables, plus the secrets (session key, seal) resolved
//! lazily so a component that does not need them never pays for them.
//!
//! Components stay thin: `Env::load()?`, then call logic in `avisos-acts` or a domain crate; a
//! component that receives a signed act gets it checked and verified by [`Env::signed_act`].

mod act;
mod certification;
mod consulta;
mod error;
pub mod gate;
pub mod mail;

pub use act::{ActRoute, SignedAct, no_owner, no_read, split_password};
use avisos_acts::config::{RawConfig, ServiceConfig};
use avisos_acts::seal::{self, ServiceSeal};
use avisos_acts::secret::HmacKey;
use avisos_acts::session::{self, Session};
use avisos_http::HttpRequest;
use avisos_kv::KeyValue;
pub use avisos_spin::random;
use avisos_spin::{SpinKv, open_kv, optional_variable};
use chrono::{DateTime, Utc};
pub use consulta::{BatchAnswer, BatchResult};
pub use error::{Error, efirma_status};

/// The configuration variables as Spin gives them (unset = empty).
fn raw_config() -> RawConfig {
    let var = |name| optional_variable(name).unwrap_or_default();
    RawConfig {
        modo: var("modo"),
        confianza_efirma: var("confianza_efirma"),
        efirma_revocados: var("efirma_revocados"),
        analistas: var("analistas"),
        limites: var("limites"),
        cabecera_cliente: var("cabecera_cliente"),
    }
}

/// Every configuration problem, for `/api/v1/salud` (the secrets are checked, never shown).
pub fn configuration_check() -> avisos_http::health::ConfigCheck {
    let var = |name| optional_variable(name).unwrap_or_default();
    let (clave_sesion, clave_contrasena, llave_sello) = (
        var("clave_sesion"),
        var("clave_contrasena"),
        var("llave_sello"),
    );
    let secrets = avisos_acts::config::Secrets {
        clave_sesion: &clave_sesion,
        clave_contrasena: &clave_contrasena,
        llave_sello: &llave_sello,
    };
    let d = avisos_acts::config::diagnose(&raw_config(), &secrets);
    avisos_http::health::ConfigCheck::new(d.mode.map(avisos_acts::Mode::as_str), &d.problems)
}

pub struct Env {
    pub kv: SpinKv,
    pub config: ServiceConfig,
    pub now: DateTime<Utc>,
}

impl Env {
    /// Opens the default store and reads the configuration variables.
    pub fn load() -> Result<Env, Error> {
        let config = ServiceConfig::from_raw(&raw_config())?;
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
            client: self.client_address(req),
            chain_key: self
                .session_key()
                .ok()
                .and_then(|k| avisos_acts::chains::key_from_session_key(&k)),
        }
    }

    /// The address `req` came from, for per-client limits (`ServiceConfig::client_address`).
    pub fn client_address(&self, req: &HttpRequest) -> String {
        self.config.client_address(|name| req.last_header(name))
    }

    /// The HMAC key for session tokens.
    pub fn session_key(&self) -> Result<Vec<u8>, Error> {
        Ok(session::resolve_key(
            &self.kv,
            self.config.mode,
            &optional_variable("clave_sesion").unwrap_or_default(),
            random(),
        )?)
    }

    /// The HMAC key of the employers' service passwords (`clave_contrasena`).
    pub fn password_key(&self) -> Result<HmacKey, Error> {
        Ok(avisos_acts::secret::resolve(
            &self.kv,
            self.config.mode,
            "clave_contrasena",
            &optional_variable("clave_contrasena").unwrap_or_default(),
            random(),
        )?)
    }

    /// The session of the request (401 when absent, invalid or expired): its token from
    /// `Authorization: Bearer …` or the session cookie.
    pub fn require_session(&self, req: &HttpRequest) -> Result<Session, Error> {
        let token = session::token_from_headers(req.header("authorization"), req.header("cookie"));
        Ok(session::require(
            token.as_deref(),
            &self.session_key()?,
            &self.kv,
            self.now,
        )?)
    }

    /// The session of a read that costs or writes (a consultation, a search, a download, an
    /// upload): charged to the client address in `lecturas_cliente` before the session is
    /// checked, so requests with a bad or no token pay too, then to the session's RFC (proven
    /// by the session) in `bucket`. Either over its limit: 429 `LIMITE_EXCEDIDO`.
    pub fn limited_read(
        &self,
        req: &HttpRequest,
        bucket: avisos_acts::limits::Bucket,
    ) -> Result<Session, Error> {
        let limits = &self.config.limits;
        let client = self.client_address(req);
        limits.admit(
            &self.kv,
            avisos_acts::limits::Bucket::LecturasCliente,
            &client,
            self.now,
        )?;
        let session = self.require_session(req)?;
        limits.admit(&self.kv, bucket, &session.rfc, self.now)?;
        Ok(session)
    }

    /// The service's seal key.
    pub fn seal(&self) -> Result<ServiceSeal, Error> {
        Ok(seal::resolve(
            &self.kv,
            self.config.mode,
            &optional_variable("llave_sello").unwrap_or_default(),
            || {
                let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
                seal::generate_pem(&mut rng, 2048)
            },
        )?)
    }
}
