//! Taking payment (O3). A `PaymentProvider` charges an order. Development runs have a manual
//! one: the customer confirms on the payment page and the order is marked paid at once, with no
//! money moved. Any other run has none until a real provider is configured: the page declines,
//! and the merchant marks the order paid when the transfer arrives (O4). A card provider is added
//! behind the same trait, confirming through its signed webhook.

use rust_decimal::Decimal;

/// What a provider is asked to charge.
#[derive(Debug, Clone)]
pub struct Charge {
    pub order_id: uuid::Uuid,
    pub number: String,
    pub amount: Decimal,
    pub currency: String,
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Paid now; the reference is recorded once per provider.
    Paid {
        reference: String,
    },
    /// The customer must finish elsewhere; the provider's webhook confirms later.
    Redirect {
        url: String,
    },
    Declined {
        reason: String,
    },
}

#[tonic::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The name stored with each payment and used in the webhook path.
    fn name(&self) -> &'static str;
    async fn charge(&self, charge: &Charge) -> anyhow::Result<Outcome>;
}

/// The provider of this run: [`ManualProvider`] in a development run only, else [`NoProvider`].
pub fn provider(dev: bool) -> std::sync::Arc<dyn PaymentProvider> {
    if dev { std::sync::Arc::new(ManualProvider) } else { std::sync::Arc::new(NoProvider) }
}

/// No online payment: every charge is declined, saying who confirms the payment instead.
#[derive(Debug, Default)]
pub struct NoProvider;

#[tonic::async_trait]
impl PaymentProvider for NoProvider {
    fn name(&self) -> &'static str {
        "none"
    }

    async fn charge(&self, _: &Charge) -> anyhow::Result<Outcome> {
        Ok(Outcome::Declined {
            reason: "online payment is not available for this program; the merchant confirms your payment".into(),
        })
    }
}

/// The development runs' provider: marks an order paid with no payment at all.
#[derive(Debug, Default)]
pub struct ManualProvider;

#[tonic::async_trait]
impl PaymentProvider for ManualProvider {
    fn name(&self) -> &'static str {
        "manual"
    }

    async fn charge(&self, charge: &Charge) -> anyhow::Result<Outcome> {
        Ok(Outcome::Paid { reference: format!("manual-{}", charge.order_id) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn s17_11_o3_only_a_development_run_marks_an_order_paid_without_a_payment() {
        let charge =
            Charge { order_id: uuid::Uuid::nil(), number: "PL-1".into(), amount: Decimal::ONE, currency: "EUR".into() };
        assert!(matches!(provider(true).charge(&charge).await.unwrap(), Outcome::Paid { .. }));
        assert!(matches!(provider(false).charge(&charge).await.unwrap(), Outcome::Declined { .. }));
    }
}
