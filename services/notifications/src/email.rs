//! N4: the emails, each in its recipient's language, with the words of `crates/i18n` (shared
//! with the web pages): a plain-text part and an HTML part (askama, escaped), rendered once when
//! the email is made, so every attempt sends the same message.

use askama::Template;
use i18n::Lang;
use i18n::format;

/// An email about to be written to the outbox of emails.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub kind: &'static str,
    /// The inbox whose preferences decide whether it is sent (A1); `None`: it always is (a
    /// customer's payment link, an applicant's answer).
    pub inbox: Option<String>,
    /// The customer it goes to, if it goes to one (X7: an erasure finds it).
    pub customer: Option<uuid::Uuid>,
    pub to_address: String,
    pub to_name: String,
    pub language: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What every email of a program shares: its name (the sender's) and where its pages are.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub program: &'a str,
    pub public_url: &'a str,
}

#[derive(Template)]
#[template(path = "email.html")]
struct Html<'a> {
    lang: &'a str,
    program: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    button: &'a str,
    button_url: &'a str,
    footer: &'a str,
}

/// The parts of one email before it is rendered.
struct Content {
    lang: Lang,
    subject: String,
    paragraphs: Vec<String>,
    /// The call to action: its words and its address (empty: none).
    button: (String, String),
}

fn lang_of(code: &str) -> Lang {
    Lang::parse(code).unwrap_or(Lang::EN)
}

impl Sender<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }

    fn letter(&self, kind: &'static str, to: (&str, &str), c: Content) -> anyhow::Result<Letter> {
        let (address, name) = to;
        let greeting = if name.trim().is_empty() {
            c.lang.t("email-greeting-anyone")
        } else {
            c.lang.t1("email-greeting", "name", name.trim())
        };
        let footer = c.lang.t1("email-footer", "program", self.program);
        let (button, button_url) = (&c.button.0, &c.button.1);
        let mut text = format!("{greeting}\n\n{}\n", c.paragraphs.join("\n\n"));
        if !button_url.is_empty() {
            text.push_str(&format!("\n{button}: {button_url}\n"));
        }
        text.push_str(&format!("\n-- \n{footer}\n"));
        let html = Html {
            lang: c.lang.code(),
            program: self.program,
            subject: &c.subject,
            greeting: &greeting,
            paragraphs: &c.paragraphs,
            button,
            button_url,
            footer: &footer,
        }
        .render()?;
        Ok(Letter {
            kind,
            inbox: None,
            customer: None,
            to_address: address.trim().to_string(),
            to_name: name.trim().to_string(),
            language: c.lang.code().to_string(),
            subject: c.subject,
            text,
            html,
        })
    }

    /// O3: the customer's payment link, in the customer's language.
    pub fn payment_link(&self, to: (&str, &str), lang: &str, order: &Order<'_>) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let total = format::money(lang, order.total, order.currency);
        let expires = format::when(lang, order.expires_at);
        let content = Content {
            lang,
            subject: lang.t1("email-payment-subject", "number", order.number),
            paragraphs: vec![
                lang.with("email-payment-body", &[("number", order.number), ("total", &total), ("expires", &expires)]),
            ],
            button: (lang.t1("email-payment-button", "total", &total), self.url(order.pay_path)),
        };
        self.letter("payment_link", to, content)
    }

    /// CU8: the customer's own order page, from its partner (or the program).
    pub fn quick_order_link(
        &self,
        to: (&str, &str),
        lang: &str,
        partner: Option<&str>,
        path: &str,
    ) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let from = partner.filter(|p| !p.trim().is_empty()).unwrap_or(self.program);
        let content = Content {
            lang,
            subject: lang.t1("email-quick-order-subject", "program", self.program),
            paragraphs: vec![lang.with("email-quick-order-body", &[("partner", from), ("program", self.program)])],
            button: (lang.t("email-quick-order-button"), self.url(path)),
        };
        self.letter("quick_order_link", to, content)
    }

    /// LE3: the partner's lead arrived.
    pub fn lead_submitted(&self, to: (&str, &str), lang: &str, lead: &str, company: &str) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let content = Content {
            lang,
            subject: lang.t1("email-lead-subject", "company", company),
            paragraphs: vec![lang.t1("email-lead-body", "company", company)],
            button: (lang.t("email-lead-button"), self.url(&format!("/leads/{lead}"))),
        };
        self.letter("lead_submitted", to, content)
    }

    /// P3: the application was approved: the applicant is now a partner.
    pub fn application_approved(&self, to: (&str, &str), lang: &str) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let content = Content {
            lang,
            subject: lang.t1("email-approved-subject", "program", self.program),
            paragraphs: vec![lang.t1("email-approved-body", "program", self.program)],
            button: (lang.t("email-approved-button"), self.url("/login")),
        };
        self.letter("application_approved", to, content)
    }

    /// P3: the application was rejected, with the reason the merchant gave.
    pub fn application_rejected(&self, to: (&str, &str), lang: &str, reason: &str) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let mut paragraphs = vec![lang.t1("email-rejected-body", "program", self.program)];
        if !reason.trim().is_empty() {
            paragraphs.push(lang.t1("email-rejected-reason", "reason", reason.trim()));
        }
        let content = Content {
            lang,
            subject: lang.t1("email-rejected-subject", "program", self.program),
            paragraphs,
            button: (String::new(), String::new()),
        };
        self.letter("application_rejected", to, content)
    }

    /// Issue 17: someone applied with this address, which has an account (`account`) or an
    /// application waiting (`pending`); the applicant was told nothing of it.
    pub fn application_repeated(&self, to: &str, lang: &str, reason: &str) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let (body, button) = match reason {
            "account" => (lang.t1("email-repeated-account", "program", self.program), lang.t("email-approved-button")),
            _ => (lang.t1("email-repeated-pending", "program", self.program), String::new()),
        };
        let url = if button.is_empty() { String::new() } else { self.url("/login") };
        let content = Content {
            lang,
            subject: lang.t1("email-repeated-subject", "program", self.program),
            paragraphs: vec![body, lang.t("email-repeated-not-you")],
            button: (button, url),
        };
        self.letter("application_repeated", (to, ""), content)
    }

    /// C10: the partner's payout was paid.
    pub fn payout_paid(&self, to: (&str, &str), lang: &str, payout: &Payout<'_>) -> anyhow::Result<Letter> {
        let lang = lang_of(lang);
        let amount = format::money(lang, payout.amount, payout.currency);
        let body = if payout.reference.is_empty() {
            lang.t1("email-payout-body", "amount", &amount)
        } else {
            lang.t2("email-payout-body-reference", ("amount", &amount), ("reference", payout.reference))
        };
        let content = Content {
            lang,
            subject: lang.t1("email-payout-subject", "amount", &amount),
            paragraphs: vec![body],
            button: (lang.t("email-payout-button"), self.url("/earnings")),
        };
        self.letter("payout_paid", to, content)
    }
}

/// What the payment email says of its order.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    pub number: &'a str,
    pub total: &'a str,
    pub currency: &'a str,
    pub pay_path: &'a str,
    pub expires_at: &'a str,
}

/// What the payout email says of its payout.
#[derive(Debug, Clone, Copy)]
pub struct Payout<'a> {
    pub amount: &'a str,
    pub currency: &'a str,
    pub reference: &'a str,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SENDER: Sender<'static> = Sender { program: "Demo <Coffee> Co.", public_url: "https://partners.example/" };

    #[test]
    fn n4_o3_the_payment_email_is_in_the_customers_language_with_its_link_in_both_parts() {
        let order = Order {
            number: "PL-000042",
            total: "1234.50",
            currency: "EUR",
            pay_path: "/pay/tok",
            expires_at: "2026-06-08T09:00:00.000Z",
        };
        let l = SENDER.payment_link(("lia@example.it", "Lia"), "it", &order).unwrap();
        assert_eq!(l.language, "it");
        assert!(l.subject.contains("PL-000042"), "{}", l.subject);
        assert!(l.text.contains("https://partners.example/pay/tok"), "{}", l.text);
        assert!(l.text.contains("1.234,50"), "Italian writes money its way: {}", l.text);
        assert!(l.html.contains("href=\"https://partners.example/pay/tok\""), "{}", l.html);
        assert!(l.html.contains("Demo &#60;Coffee&#62; Co.") || l.html.contains("Demo &lt;Coffee&gt; Co."), "escaped");
        assert!(!l.html.contains("<Coffee>"), "the program's name is text, never markup");
        let en = SENDER.payment_link(("x@example.com", ""), "xx", &order).unwrap();
        assert_eq!(en.language, "en", "an unknown language falls back to English");
        assert_ne!(en.subject, l.subject);
    }

    #[test]
    fn n4_p3_a_rejection_gives_its_reason_and_a_payout_its_reference() {
        let r = SENDER.application_rejected(("a@example.com", "Al"), "en", "Outside our area").unwrap();
        assert!(r.text.contains("Outside our area"), "{}", r.text);
        assert!(!r.html.contains("<a href"), "nothing to click: {}", r.html);
        let p = Payout { amount: "50", currency: "EUR", reference: "SEPA-1" };
        let paid = SENDER.payout_paid(("a@example.com", "Al"), "pl", &p).unwrap();
        assert!(paid.text.contains("SEPA-1") && paid.text.contains("50,00"), "{}", paid.text);
    }
}
