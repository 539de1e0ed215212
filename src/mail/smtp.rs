//! One SMTP delivery with mail-send: STARTTLS, implicit TLS, or plain for a local relay;
//! optional AUTH; optional acceptance of self-signed certificates; every step bounded by
//! `mail.timeout_secs`. Success means the server accepted the message with a 2xx reply.

use std::time::Duration;

use mail_send::mail_builder::MessageBuilder;
use mail_send::{SmtpClient, SmtpClientBuilder};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::{MailConfig, MailSecurity};
use crate::store::outbox::OutgoingMail;

/// Sends one message; the error text is kept as the row's `last_error`.
pub async fn deliver(config: &MailConfig, mail: &OutgoingMail) -> Result<(), String> {
    let message = MessageBuilder::new()
        .from((mail.from_name.as_str(), mail.from_addr.as_str()))
        .to((mail.to_name.as_str(), mail.to_addr.as_str()))
        .subject(mail.subject.as_str())
        .text_body(mail.body.as_str());
    session(config, Some(message)).await
}

/// Connects as a delivery would (greeting, EHLO, STARTTLS or TLS, AUTH) and quits without
/// sending: `accounthub check --smtp`.
pub async fn probe(config: &MailConfig) -> Result<(), String> {
    session(config, None).await
}

async fn session(config: &MailConfig, message: Option<MessageBuilder<'_>>) -> Result<(), String> {
    // rustls needs one process-wide crypto provider; pick ring explicitly so the choice does
    // not depend on which features other crates in the build switch on. Installing twice
    // is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = SmtpClientBuilder::new(config.host.as_str(), config.port)
        .map_err(|e| format!("SMTP setup: {e}"))?
        .timeout(Duration::from_secs(config.timeout_secs.max(1)));
    if config.auth {
        builder = builder.credentials((config.user.as_str(), config.password.as_str()));
    }
    if config.allow_invalid_certificate {
        builder = builder.allow_invalid_certs();
    }
    let result = match config.security {
        MailSecurity::Plain => send_on(builder.connect_plain().await, message).await,
        tls => {
            let builder = builder.implicit_tls(tls == MailSecurity::Tls);
            send_on(builder.connect().await, message).await
        }
    };
    result.map_err(|e| e.to_string())
}

/// Sends `message` (if any) on an open session of either stream kind, then says goodbye
/// (a failed QUIT after an accepted message does not matter).
async fn send_on<T: AsyncRead + AsyncWrite + Unpin>(
    client: mail_send::Result<SmtpClient<T>>,
    message: Option<MessageBuilder<'_>>,
) -> mail_send::Result<()> {
    let mut client = client?;
    if let Some(message) = message {
        client.send(message).await?;
    }
    let _ = client.quit().await;
    Ok(())
}
