//! N4: the mailer sends the emails the consumers wrote, over SMTP (lettre), and tries a failed
//! one again later and later (`domain::retry_after`) until it goes or has failed for good. An
//! email is locked while it is sent and marked in the same transaction: a crash before the mark
//! sends it again, with the same `Message-ID`, so a receiving server can drop the copy.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use platform::Clock;
use serde::Deserialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain;
use crate::store::{self, EmailRow};

/// The `[notifications]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    pub smtp: SmtpConfig,
    /// The sender address of every email; the program's name is its display name.
    pub from_address: String,
    /// How often the mailer looks for emails due.
    pub send_every_ms: u64,
    /// I2: how webhooks are delivered.
    pub webhooks: crate::deliverer::WebhooksConfig,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            smtp: SmtpConfig::default(),
            from_address: "noreply@partnerline.localhost".into(),
            send_every_ms: 500,
            webhooks: crate::deliverer::WebhooksConfig::default(),
        }
    }
}

/// Where emails go. No `host`: none is sent (they wait, queued, and the start says so).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `starttls` (upgrade on the port, required), `tls` (implicit TLS, usually port 465) or
    /// `none` (plain: a local relay or a test's sink only).
    pub tls: String,
    pub username: String,
    /// Or `PARTNERLINE_NOTIFICATIONS__SMTP__PASSWORD_FILE`.
    pub password: String,
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            tls: "starttls".into(),
            username: String::new(),
            password: String::new(),
            timeout_secs: 15,
        }
    }
}

/// The SMTP client, and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: lettre::Address,
    every: Duration,
}

impl Mailer {
    /// Checks the section: an unknown `tls` or a sender that is no address stops the start.
    pub fn from_config(c: &NotificationsConfig) -> anyhow::Result<Mailer> {
        let from: lettre::Address =
            c.from_address.parse().map_err(|e| anyhow::anyhow!("configuration: [notifications] from_address: {e}"))?;
        let transport = if c.smtp.host.trim().is_empty() {
            tracing::warn!("no [notifications.smtp] host: emails are kept, queued, and not sent");
            None
        } else {
            let s = &c.smtp;
            let host = s.host.trim();
            let mut b = match s.tls.as_str() {
                "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                other => {
                    anyhow::bail!("configuration: [notifications.smtp] tls: `{other}` is not starttls, tls or none")
                }
            };
            b = b.port(s.port).timeout(Some(Duration::from_secs(s.timeout_secs.max(1))));
            if !s.username.is_empty() {
                b = b.credentials(Credentials::new(s.username.clone(), s.password.clone()));
            }
            Some(b.build())
        };
        Ok(Mailer { transport, from, every: Duration::from_millis(c.send_every_ms.max(50)) })
    }

    /// The domain of `Message-ID`s: the sender's.
    pub fn domain(&self) -> &str {
        self.from.domain()
    }

    fn message(&self, e: &EmailRow) -> anyhow::Result<Message> {
        let from = Mailbox::new(Some(e.from_name.clone()), self.from.clone());
        let to_name = Some(e.to_name.clone()).filter(|n| !n.is_empty());
        let to = Mailbox::new(to_name, e.to_address.parse()?);
        Ok(Message::builder()
            .from(from)
            .to(to)
            .subject(e.subject.clone())
            .message_id(Some(e.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(e.text_body.clone(), e.html_body.clone()))?)
    }

    /// Sends what is due, until `shutdown`.
    pub async fn run(self, pool: PgPool, clock: Clock, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Some(transport) = self.transport.clone() else { return Ok(()) };
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(self.every) => {}
            }
            if let Err(e) = self.send_due(&transport, &pool, &clock).await {
                tracing::warn!(error = format!("{e:#}"), "the mailer could not send what is due");
            }
        }
    }

    async fn send_due(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        pool: &PgPool,
        clock: &Clock,
    ) -> anyhow::Result<()> {
        let mut tx = pool.begin().await?;
        let due = store::due_emails(&mut tx, clock.now(), 20).await?;
        for e in &due {
            let sent = match self.message(e) {
                Ok(m) => transport.send(m).await.map(|_| ()).map_err(anyhow::Error::from),
                Err(err) => Err(err),
            };
            match sent {
                Ok(()) => store::email_sent(&mut tx, e.id, clock.now()).await?,
                Err(err) => {
                    let attempts = e.attempts + 1;
                    let next = domain::retry_after(attempts).map(|wait| clock.now() + wait);
                    let error = format!("{err:#}");
                    tracing::info!(email = %e.id, attempts, error, gives_up = next.is_none(), "an email was not sent");
                    store::email_not_sent(&mut tx, e.id, next, &error.chars().take(500).collect::<String>()).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
