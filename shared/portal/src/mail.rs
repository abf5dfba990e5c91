//! The outbound mail of the certification's notifications: its configuration from the Spin
//! variables `correo_api_url` and `correo_api_token`, and its transport (Spin's outgoing HTTP,
//! limited by `allowed_outbound_hosts` to `correo_api_origen`).

use avisos_certification::notify::{MailConfig, MailRequest};
use avisos_spin::optional_variable;

/// The mail API, or `None` when no URL is configured (the portal inbox is then the only
/// delivery).
pub fn config() -> Option<MailConfig> {
    MailConfig::from_variables(
        optional_variable("correo_api_url"),
        optional_variable("correo_api_token"),
    )
}

/// Whether the mail API is configured: an act's e-mails are then queued to be sent, not only
/// shown in the portal inbox.
pub fn enabled() -> bool {
    config().is_some()
}

/// Sends one e-mail; the API's status, or why it could not be reached.
pub async fn send(m: MailRequest) -> Result<u16, String> {
    avisos_spin::post_json(&m.url, m.token.as_deref(), m.body).await
}
