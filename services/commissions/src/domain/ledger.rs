//! The ledger's accounts, the kinds of its entries and the moves each kind may make (C11), and
//! a payout's lifecycle (C10). Accounts are rendered to their stored string here and only here.

use std::fmt;

use platform::Currency;
use uuid::Uuid;

use super::{Bucket, Kind};

/// Where a partner's money is: earned (pending, held, available), asked for, paid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartnerBucket {
    Pending,
    Held,
    Available,
    Requested,
    Paid,
}

impl PartnerBucket {
    pub const ALL: [PartnerBucket; 5] = [Self::Pending, Self::Held, Self::Available, Self::Requested, Self::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Held => "held",
            Self::Available => "available",
            Self::Requested => "requested",
            Self::Paid => "paid",
        }
    }
}

/// An account of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    Partner(Uuid, PartnerBucket),
    /// The merchant's commission expense: where commissions come from and clawbacks go back.
    Expense,
    /// The merchant's prepaid balance that automatic settlement pays from (C9).
    Prepaid,
    /// Where the merchant's top-ups come from (outside the ledger).
    Funding,
    /// What automatic settlement has paid out of the prepaid balance.
    Disbursed,
    /// X6: where a payout in the partner's own currency changes currency (from, to): each
    /// currency's entries balance within it, and this account keeps the position of the pair.
    Fx(Currency, Currency),
}

impl Account {
    /// The account of a line's bucket for `partner`.
    pub fn of(partner: Uuid, b: Bucket) -> Account {
        match b {
            Bucket::Expense => Account::Expense,
            Bucket::Pending => Account::Partner(partner, PartnerBucket::Pending),
            Bucket::Held => Account::Partner(partner, PartnerBucket::Held),
            Bucket::Available => Account::Partner(partner, PartnerBucket::Available),
        }
    }

    pub fn partner(partner: Uuid, b: PartnerBucket) -> Account {
        Account::Partner(partner, b)
    }

    /// The stored form: `partner:<id>:<bucket>` or `merchant:<name>`.
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn parse(s: &str) -> Option<Account> {
        if let Some(rest) = s.strip_prefix("partner:") {
            let (id, bucket) = rest.split_once(':')?;
            let bucket = PartnerBucket::ALL.into_iter().find(|b| b.as_str() == bucket)?;
            return Some(Account::Partner(Uuid::parse_str(id).ok()?, bucket));
        }
        if let Some(pair) = s.strip_prefix("merchant:fx:") {
            let (from, to) = pair.split_once(':')?;
            let (f, t) = (Currency::parse(from).ok()?, Currency::parse(to).ok()?);
            // One spelling per account: the codes in upper case.
            return (f.code() == from && t.code() == to && f != t).then_some(Account::Fx(f, t));
        }
        match s {
            "merchant:expense" => Some(Account::Expense),
            "merchant:prepaid" => Some(Account::Prepaid),
            "merchant:funding" => Some(Account::Funding),
            "merchant:disbursed" => Some(Account::Disbursed),
            _ => None,
        }
    }

    /// A partner bucket's stored prefix: `partner:<id>:` (all partners: `partner:`).
    pub fn partner_prefix(partner: Option<Uuid>) -> String {
        match partner {
            Some(p) => format!("partner:{p}:"),
            None => "partner:".to_string(),
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Partner(p, b) => write!(f, "partner:{p}:{}", b.as_str()),
            Account::Expense => f.write_str("merchant:expense"),
            Account::Prepaid => f.write_str("merchant:prepaid"),
            Account::Funding => f.write_str("merchant:funding"),
            Account::Disbursed => f.write_str("merchant:disbursed"),
            Account::Fx(from, to) => write!(f, "merchant:fx:{from}:{to}"),
        }
    }
}

/// Why an entry was written; each kind may move money only between certain accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Line(Kind),
    LeadReward,
    PayoutRequested,
    PayoutRejected,
    PayoutPaid,
    TopUp,
    Settlement,
}

impl EntryKind {
    pub const ALL: [EntryKind; 11] = [
        Self::Line(Kind::Accrued),
        Self::Line(Kind::Held),
        Self::Line(Kind::Available),
        Self::Line(Kind::Voided),
        Self::Line(Kind::Clawback),
        Self::LeadReward,
        Self::PayoutRequested,
        Self::PayoutRejected,
        Self::PayoutPaid,
        Self::TopUp,
        Self::Settlement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Line(k) => k.as_str(),
            Self::LeadReward => "lead_reward",
            Self::PayoutRequested => "payout_requested",
            Self::PayoutRejected => "payout_rejected",
            Self::PayoutPaid => "payout_paid",
            Self::TopUp => "top_up",
            Self::Settlement => "settlement",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// C11: whether an entry of this kind may take money from `debit` to `credit`. A partner's
    /// money moves only between that partner's own buckets and the merchant's expense, and, paid
    /// in another currency (X6), through an FX account: out of available (or requested, when the
    /// request is rejected) and back into requested (or available) in the other currency.
    pub fn allows(self, debit: Account, credit: Account) -> bool {
        use Account::{Disbursed, Expense, Funding, Fx, Partner, Prepaid};
        use PartnerBucket::{Available, Held, Paid, Pending, Requested};
        match (debit, credit) {
            (Partner(a, from), Partner(b, to)) => {
                a == b
                    && matches!(
                        (self, from, to),
                        (Self::Line(Kind::Held), Pending, Held)
                            | (Self::Line(Kind::Available), Held, Available)
                            | (Self::PayoutRequested, Available, Requested)
                            | (Self::PayoutRejected, Requested, Available)
                            | (Self::PayoutPaid, Requested, Paid)
                    )
            }
            (Expense, Partner(_, to)) => matches!(
                (self, to),
                (Self::Line(Kind::Accrued), Pending | Held | Available) | (Self::LeadReward, Available)
            ),
            (Partner(_, from), Expense) => matches!(
                (self, from),
                (Self::Line(Kind::Accrued), Pending | Held)
                    | (Self::Line(Kind::Voided), Pending | Held)
                    | (Self::Line(Kind::Clawback), Available)
            ),
            (Partner(_, from), Fx(..)) => {
                matches!((self, from), (Self::PayoutRequested, Available) | (Self::PayoutRejected, Requested))
            }
            (Fx(..), Partner(_, to)) => {
                matches!((self, to), (Self::PayoutRequested, Requested) | (Self::PayoutRejected, Available))
            }
            (Funding, Prepaid) => self == Self::TopUp,
            (Prepaid, Disbursed) => self == Self::Settlement,
            _ => false,
        }
    }
}

/// C10: where a payout request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayoutStatus {
    Requested,
    Approved,
    Rejected,
    Paid,
}

impl TryFrom<String> for PayoutStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        PayoutStatus::parse(&s).ok_or_else(|| format!("`{s}` is not a payout status"))
    }
}

/// C10: what the merchant does with a payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutAction {
    Approve,
    Reject,
    MarkPaid,
}

impl PayoutAction {
    pub fn parse(s: &str) -> Option<PayoutAction> {
        match s {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            "mark_paid" => Some(Self::MarkPaid),
            _ => None,
        }
    }

    /// How the action reads in "it cannot be … now".
    pub fn done(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::MarkPaid => "marked paid",
        }
    }
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 4] = [Self::Requested, Self::Approved, Self::Rejected, Self::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<PayoutStatus> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Still waiting for the merchant: it holds the partner's money in `requested`.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Requested | Self::Approved)
    }

    /// C10: where `action` takes a payout in this status, if it may: approve a request; reject
    /// or mark paid an open one. Paid and rejected are final.
    pub fn next(self, action: PayoutAction) -> Option<PayoutStatus> {
        match (self, action) {
            (Self::Requested, PayoutAction::Approve) => Some(Self::Approved),
            (s, PayoutAction::Reject) if s.is_open() => Some(Self::Rejected),
            (s, PayoutAction::MarkPaid) if s.is_open() => Some(Self::Paid),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn c11_an_account_reads_back_as_itself() {
        let p = Uuid::now_v7();
        let mut all: Vec<Account> = PartnerBucket::ALL.into_iter().map(|b| Account::Partner(p, b)).collect();
        all.extend([Account::Expense, Account::Prepaid, Account::Funding, Account::Disbursed]);
        all.push(Account::Fx(Currency::EUR, Currency::parse("PLN").unwrap()));
        for a in all {
            assert_eq!(Account::parse(&a.key()), Some(a), "{a}");
        }
        assert_eq!(Account::parse("partner:nope:held"), None);
        assert_eq!(Account::parse(&format!("partner:{p}:spent")), None);
        assert_eq!(Account::parse("merchant:cash"), None);
        assert_eq!(Account::parse("merchant:fx:EUR:EUR"), None, "a pair is two currencies");
        assert_eq!(Account::parse("merchant:fx:eur:PLN"), None, "one spelling per account");
        assert_eq!(Account::parse("merchant:fx:EUR:XXX"), None);
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn c11_a_kind_moves_money_only_where_it_may() {
        let (p, q) = (Uuid::now_v7(), Uuid::now_v7());
        let b = |b| Account::Partner(p, b);
        use PartnerBucket::*;
        assert!(EntryKind::PayoutPaid.allows(b(Requested), b(Paid)));
        assert!(!EntryKind::PayoutPaid.allows(b(Available), b(Paid)), "paid skips the request");
        assert!(!EntryKind::PayoutPaid.allows(b(Requested), Account::Partner(q, Paid)), "another partner's");
        assert!(!EntryKind::Line(Kind::Clawback).allows(Account::Expense, b(Available)), "a clawback takes back");
        assert!(EntryKind::Line(Kind::Accrued).allows(b(Held), Account::Expense));
        assert!(!EntryKind::Line(Kind::Accrued).allows(b(Available), Account::Expense), "that is a clawback");
        assert!(!EntryKind::TopUp.allows(Account::Funding, b(Available)));
        assert!(!EntryKind::Settlement.allows(Account::Prepaid, Account::Prepaid));
    }

    /// X6: a payout in another currency leaves available and reaches requested through the
    /// pair's FX account (a rejection the way back); nothing else touches an FX account.
    #[test]
    fn x6_c11_only_a_payout_changes_currency_through_an_fx_account() {
        let p = Uuid::now_v7();
        let b = |b| Account::Partner(p, b);
        let fx = Account::Fx(Currency::EUR, Currency::parse("PLN").unwrap());
        use PartnerBucket::*;
        assert!(EntryKind::PayoutRequested.allows(b(Available), fx));
        assert!(EntryKind::PayoutRequested.allows(fx, b(Requested)));
        assert!(EntryKind::PayoutRejected.allows(b(Requested), fx));
        assert!(EntryKind::PayoutRejected.allows(fx, b(Available)));
        assert!(!EntryKind::PayoutPaid.allows(fx, b(Paid)), "paid is paid in one currency");
        assert!(!EntryKind::PayoutRequested.allows(fx, b(Available)));
        assert!(!EntryKind::Line(Kind::Accrued).allows(fx, b(Pending)), "commissions come from the expense");
        assert!(!EntryKind::Line(Kind::Clawback).allows(b(Available), fx));
        assert!(!EntryKind::TopUp.allows(Account::Funding, fx));
    }

    #[test]
    fn c10_a_payout_moves_only_forward() {
        use PayoutAction::*;
        use PayoutStatus::*;
        assert_eq!(Requested.next(Approve), Some(Approved));
        assert_eq!(Approved.next(Approve), None, "approved once");
        assert_eq!(Approved.next(MarkPaid), Some(Paid));
        assert_eq!(Requested.next(Reject), Some(Rejected));
        for last in [Paid, Rejected] {
            for a in [Approve, Reject, MarkPaid] {
                assert_eq!(last.next(a), None, "{last:?} is final");
            }
        }
    }
}
