//! C3, C11: where an order's lines stand at a time, and the ledger movements that bring what
//! the ledger holds for a line to what it should hold, rounded to the currency's minor unit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Facts, Program, TrustLevel};

/// C3: where an order's lines stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The order is open.
    Pending,
    /// Completed; held until then.
    Held(DateTime<Utc>),
    /// The hold is over.
    Available,
    /// X4: the hold is over, but a fraud flag waits for the merchant: the money stays held.
    Flagged,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Held(_) => "held",
            Phase::Available => "available",
            Phase::Flagged => "held",
        }
    }
}

/// C3, X5: a partner's line is pending until the order completes, then held for the partner's
/// hold period (and at least the return window), then available; X4: unless a fraud flag waits
/// for the merchant.
pub fn phase(f: &Facts, program: &Program, trust: TrustLevel, now: DateTime<Utc>) -> Phase {
    match f.completed_at {
        None => Phase::Pending,
        Some(done) => {
            let until = program.hold_until(done, trust);
            if now < until {
                Phase::Held(until)
            } else if f.fraud.as_ref().is_some_and(|x| x.open()) {
                Phase::Flagged
            } else {
                Phase::Available
            }
        }
    }
}

/// Rounds half-even to `minor_units` decimals: only when an entry is written.
pub fn round(amount: Decimal, minor_units: u32) -> Decimal {
    let mut r = amount.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointNearestEven);
    r.rescale(minor_units);
    r
}

/// The partner-side accounts of a line's money, and the merchant's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// The merchant's commission expense: where commissions come from and clawbacks go back.
    Expense,
    Pending,
    Held,
    Available,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Expense => "expense",
            Bucket::Pending => "pending",
            Bucket::Held => "held",
            Bucket::Available => "available",
        }
    }
}

/// What the ledger holds for one line: its amounts in pending, held, and matured into available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub pending: Decimal,
    pub held: Decimal,
    pub matured: Decimal,
}

/// Why money moves; each becomes a ledger entry and an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// commission.accrued (also a downward adjustment while pending or held)
    Accrued,
    /// commission.held
    Held,
    /// commission.available
    Available,
    /// commission.voided
    Voided,
    /// commission.clawback
    Clawback,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accrued => "accrued",
            Kind::Held => "held",
            Kind::Available => "available",
            Kind::Voided => "voided",
            Kind::Clawback => "clawback",
        }
    }
}

/// One movement: `amount` (> 0) leaves `from` and reaches `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub from: Bucket,
    pub to: Bucket,
    pub amount: Decimal,
    pub kind: Kind,
}

/// C3-C5, C11: the movements that take a line from `pos` to `target` (already rounded) in
/// `phase` (`None`: the line earns nothing any more). The position after them is a function of
/// the target alone, so the ledger ends the same whatever order the facts came in.
pub fn reconcile(pos: Position, target: Decimal, phase: Option<Phase>) -> (Vec<Move>, Position) {
    let mut moves = Vec::new();
    let mut p = pos;
    // X4: a flag holds what has not matured; what matured before the flag stays available (a
    // suspicion claws nothing back).
    let phase = match phase {
        Some(Phase::Flagged) if pos.matured > Decimal::ZERO => Some(Phase::Available),
        other => other,
    };
    let mut push = |from: Bucket, to: Bucket, amount: Decimal, kind: Kind| {
        if amount > Decimal::ZERO {
            moves.push(Move { from, to, amount, kind });
        } else if amount < Decimal::ZERO {
            moves.push(Move { from: to, to: from, amount: -amount, kind });
        }
    };
    match phase {
        None => {
            push(Bucket::Pending, Bucket::Expense, p.pending, Kind::Voided);
            push(Bucket::Held, Bucket::Expense, p.held, Kind::Voided);
            push(Bucket::Available, Bucket::Expense, p.matured, Kind::Clawback);
            p = Position::default();
        }
        Some(Phase::Pending) => {
            // A completed order does not reopen; should a line hold money further on, it goes back.
            push(Bucket::Held, Bucket::Expense, p.held, Kind::Voided);
            push(Bucket::Available, Bucket::Expense, p.matured, Kind::Clawback);
            push(Bucket::Expense, Bucket::Pending, target - p.pending, Kind::Accrued);
            p = Position { pending: target, ..Position::default() };
        }
        Some(Phase::Held(_) | Phase::Flagged) => {
            push(Bucket::Pending, Bucket::Held, p.pending, Kind::Held);
            push(Bucket::Available, Bucket::Expense, p.matured, Kind::Clawback);
            let held = p.held + p.pending;
            push(Bucket::Expense, Bucket::Held, target - held, Kind::Accrued);
            p = Position { held: target, ..Position::default() };
        }
        Some(Phase::Available) => {
            push(Bucket::Pending, Bucket::Held, p.pending, Kind::Held);
            let held = p.held + p.pending;
            push(Bucket::Held, Bucket::Available, held, Kind::Available);
            let matured = p.matured + held;
            let diff = target - matured;
            let kind = if diff < Decimal::ZERO { Kind::Clawback } else { Kind::Accrued };
            push(Bucket::Expense, Bucket::Available, diff, kind);
            p = Position { matured: target, ..Position::default() };
        }
    }
    (moves, p)
}

/// Net balance of each bucket after `moves` (credits − debits), for checks.
pub fn balances(moves: &[Move]) -> HashMap<Bucket, Decimal> {
    let mut b = HashMap::new();
    for m in moves {
        *b.entry(m.to).or_insert(Decimal::ZERO) += m.amount;
        *b.entry(m.from).or_insert(Decimal::ZERO) -= m.amount;
    }
    b
}
