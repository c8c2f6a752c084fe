//! O3: payment providers confirm payments through signed webhooks. The signature is
//! `t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>` with the provider's secret from the
//! `[orders] webhook_secrets` configuration; older than five minutes is refused (replays). A
//! provider's reference is recorded once, so a redelivered webhook changes nothing.

use hmac::{Hmac, Mac};
use partnerline_proto::orders::v1 as pb;
use platform::AppError;
use platform::db::TenantTx;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::Sha256;
use uuid::Uuid;

use super::OrdersService;
use crate::domain::OrderStatus;
use crate::store;

/// How old a signed webhook may be.
const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Deserialize)]
struct Confirmation {
    tenant_id: Uuid,
    order_id: Uuid,
    reference: String,
    amount: String,
    currency: String,
    status: String,
}

/// Checks `t=...,v1=...` against the body, in constant time.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), AppError> {
    let bad = || AppError::unauthenticated("the webhook signature does not match");
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return Err(bad()) };
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(AppError::unauthenticated("the webhook is too old or from the future"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| bad())?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).map_err(|_| bad())
}

/// The header a provider (or a test) sends for `body`.
pub fn sign(secret: &str, body: &[u8], t: i64) -> String {
    // An HMAC takes a key of any length.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl OrdersService {
    pub(super) async fn webhook_impl(&self, req: pb::PaymentWebhook) -> Result<pb::PaymentWebhookResult, AppError> {
        let secret =
            self.webhook_secrets.get(req.provider.trim()).ok_or_else(|| AppError::not_found("payment provider"))?;
        verify(secret, &req.signature, &req.body, self.clock.now().timestamp())?;
        let c: Confirmation = serde_json::from_slice(&req.body)
            .map_err(|e| AppError::invalid("body", format!("is not a payment confirmation: {e}")))?;
        let mut tx = TenantTx::begin(&self.pool, c.tenant_id).await?;
        let mut o = store::order(&mut tx, c.order_id, None, true).await?.ok_or_else(|| AppError::not_found("order"))?;
        let result = |o: &store::OrderRow, duplicate| pb::PaymentWebhookResult {
            order_id: o.id.to_string(),
            status: o.status.clone(),
            duplicate,
        };
        if c.status != "succeeded" {
            tx.commit().await?;
            return Ok(result(&o, false));
        }
        let amount =
            Decimal::from_str_exact(c.amount.trim()).map_err(|_| AppError::invalid("amount", "is not an amount"))?;
        if c.currency != o.currency || amount != o.total {
            return Err(AppError::conflict(
                "amount_mismatch",
                format!("the order is {} {}, the payment {} {}", o.total, o.currency, amount, c.currency),
            ));
        }
        if !store::insert_payment(&mut tx, o.id, &req.provider, &c.reference, amount, self.clock.now()).await? {
            tx.commit().await?;
            return Ok(result(&o, true));
        }
        if o.status == OrderStatus::PendingPayment.as_str() {
            self.move_order(&mut tx, &mut o, OrderStatus::Paid, None, "provider").await?;
        }
        tx.commit().await?;
        Ok(result(&o, false))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn o3_webhook_signatures_are_checked_in_full_and_in_time() {
        let body = br#"{"order_id":"x"}"#;
        let header = sign("whsec", body, 1_000_000);
        assert!(verify("whsec", &header, body, 1_000_100).is_ok());
        assert!(verify("other", &header, body, 1_000_100).is_err(), "another secret");
        assert!(verify("whsec", &header, br#"{"order_id":"y"}"#, 1_000_100).is_err(), "another body");
        assert!(verify("whsec", &header, body, 1_000_000 + TOLERANCE_SECS + 1).is_err(), "a replay");
        assert!(verify("whsec", "v1=00", body, 1_000_000).is_err());
        assert!(verify("whsec", "", body, 1_000_000).is_err());
    }
}
