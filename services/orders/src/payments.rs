//! Taking payment (O3). A `PaymentProvider` charges an order; the built-in one is manual: the
//! customer confirms on the payment page and the order is marked paid at once (bank transfer or
//! cash arranged outside). A card provider is added behind the same trait, confirming through
//! its signed webhook.

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

/// The built-in provider: the payment is taken outside Partnerline and confirmed here.
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
