//! `/earnings` (C3, C10, C11): the partner's balances with what each means, the ledger in words,
//! the payout request form and the payouts so far.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::AppState;
use gateway::problem::upstream;
use http::StatusCode;
use partnerline_proto::commissions::v1 as cpb;
use partnerline_proto::orders::v1 as opb;
use platform::AppError;

use super::{Errors, Form, Frame, render};
use crate::session::Signed;

/// The kinds of ledger entries (C11), each said in words.
pub const KINDS: [&str; 11] = [
    "accrued",
    "held",
    "available",
    "voided",
    "clawback",
    "payout_requested",
    "payout_rejected",
    "payout_paid",
    "lead_reward",
    "top_up",
    "settlement",
];

/// Ledger entries per page.
const PAGE: u32 = 25;

/// One ledger entry as the partner reads it.
pub struct Line {
    pub at: String,
    pub text: String,
    /// Signed: what the entry did to the partner's money (+ earned, − taken back or paid out).
    pub amount: String,
    pub negative: bool,
}

#[derive(Template)]
#[template(path = "earnings.html")]
struct EarningsPage {
    c: Frame,
    title: String,
    balances: Vec<cpb::Balance>,
    entries: Vec<Line>,
    more: Option<String>,
    payouts: Vec<cpb::Payout>,
    /// The commission of each of the partner's orders (C3): what it earns now and its state.
    lines: Vec<(String, cpb::CommissionLine)>,
    /// The program's minimum payout (C10), as the page writes money.
    minimum: String,
    errors: Errors,
    amount: String,
    notice: String,
    /// The ledger's filter: one kind of entry, or every kind.
    kind: String,
}

impl EarningsPage {
    pub fn kind_is(&self, k: &str) -> bool {
        self.kind == k
    }
}

/// How an entry of `kind` changes what the partner has: earned (+), taken back or paid (−), or a
/// move between its own balances (no sign).
fn direction(kind: &str) -> Option<bool> {
    match kind {
        "accrued" | "lead_reward" | "payout_rejected" => Some(false),
        "voided" | "clawback" | "payout_paid" => Some(true),
        _ => None,
    }
}

async fn page_of(
    s: &AppState,
    signed: &Signed,
    path: &str,
    q: &HashMap<String, String>,
    status: StatusCode,
    errors: Errors,
    amount: String,
) -> Result<Response, AppError> {
    let (c, _) = Frame::load(s, signed, "earnings", path).await?;
    let (mut a, mut b, mut p, mut l, mut i) =
        (s.commissions(), s.commissions(), s.commissions(), s.commissions(), s.identity());
    let kind = q.get("kind").cloned().filter(|k| KINDS.contains(&k.as_str()));
    let ledger = cpb::LedgerQuery {
        cursor: q.get("after").cloned().filter(|v| !v.is_empty()),
        limit: Some(PAGE),
        kind: kind.clone(),
        ..Default::default()
    };
    let (balances, ledger, payouts, commissions, program) = tokio::try_join!(
        a.get_balances(signed.0.request(cpb::BalancesQuery { partner_id: None })),
        b.list_ledger(signed.0.request(ledger)),
        p.list_payouts(signed.0.request(cpb::PayoutQuery::default())),
        l.list_commissions(signed.0.request(cpb::CommissionQuery { limit: Some(PAGE), ..Default::default() })),
        i.get_program(signed.0.request(partnerline_proto::identity::v1::Empty {})),
    )
    .map_err(upstream)?;
    let (ledger, commissions) = (ledger.into_inner(), commissions.into_inner().items);
    let program = program.into_inner();
    let minimum = program.settings.as_ref().map(|st| c.money(&st.minimum_payout, &st.currency)).unwrap_or_default();
    // The ledger and the lines name orders by id; the page names them by number, asked once each.
    let ids: BTreeSet<String> = ledger
        .items
        .iter()
        .filter_map(|e| e.order_id.clone())
        .chain(commissions.iter().map(|l| l.order_id.clone()))
        .collect();
    let numbers: HashMap<String, String> = futures::future::join_all(ids.into_iter().map(|id| {
        let mut o = s.orders();
        let req = signed.0.request(opb::OrderRef { id: id.clone() });
        async move { o.get_order(req).await.ok().map(|r| (id, r.into_inner().number)) }
    }))
    .await
    .into_iter()
    .flatten()
    .collect();
    let entries = ledger
        .items
        .iter()
        .map(|e| {
            // Level 0 is the partner's own sale; 1 and 2 its team's (C7), whose orders are theirs.
            let level = e.level.unwrap_or(0);
            let unnamed = || if level > 0 { c.t("order-of-team") } else { "—".into() };
            let order = e.order_id.as_ref().and_then(|id| numbers.get(id)).cloned().unwrap_or_else(unnamed);
            let key = if level > 0 && e.kind == "accrued" {
                "ledger-accrued-team".to_string()
            } else {
                format!("ledger-{}", e.kind.replace('_', "-"))
            };
            let dir = direction(&e.kind);
            let money = c.money(&e.amount, &e.currency);
            Line {
                at: c.date(&e.at),
                text: c.t1(&key, "order", order),
                amount: match dir {
                    Some(true) => format!("−{money}"),
                    Some(false) => format!("+{money}"),
                    None => money,
                },
                negative: dir == Some(true),
            }
        })
        .collect();
    let more = ledger.next_cursor.map(|cur| {
        let mut link = form_urlencoded::Serializer::new(String::new());
        if let Some(k) = &kind {
            link.append_pair("kind", k);
        }
        link.append_pair("after", &cur);
        format!("/earnings?{}#ledger", link.finish())
    });
    let notice = if q.get("done").is_some_and(|d| d == "requested") { c.t("payout-requested") } else { String::new() };
    let title = c.t("earnings-title");
    let team_order = c.t("order-of-team");
    let page = EarningsPage {
        c,
        title,
        balances: balances.into_inner().items,
        entries,
        more,
        payouts: payouts.into_inner().items,
        lines: commissions
            .into_iter()
            .map(|l| (numbers.get(&l.order_id).cloned().unwrap_or_else(|| team_order.clone()), l))
            .collect(),
        minimum,
        kind: kind.unwrap_or_default(),
        errors,
        amount,
        notice,
    };
    Ok(render(status, &page))
}

pub async fn page(
    State(s): State<AppState>,
    signed: Signed,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let path = uri.path_and_query().map_or("/earnings", |p| p.as_str()).to_string();
    page_of(&s, &signed, &path, &q, StatusCode::OK, Errors::default(), String::new()).await
}

/// C10: ask for a payout of the available balance (or part of it); refused below the program's
/// minimum or with a request already open, the reason beside the form.
pub async fn request_payout(State(s): State<AppState>, signed: Signed, form: Form) -> Result<Response, AppError> {
    let req = cpb::PayoutRequest { amount: form.opt("amount"), currency: form.opt("currency") };
    let result = form.send(s.commissions().request_payout(signed.0.request(req))).await.map(|_| ());
    match result {
        Ok(()) => Ok(Redirect::to("/earnings?done=requested").into_response()),
        Err(err)
            if matches!(
                err.kind,
                platform::ErrorKind::Invalid | platform::ErrorKind::Conflict | platform::ErrorKind::BadRequest
            ) =>
        {
            let lang = signed.1.lang("");
            let mut errors = Errors::of(&err, lang);
            // A conflict (one already open) or a minimum belongs beside the amount.
            if errors.get("amount").is_none() {
                errors = Errors::fields(&[platform::error::FieldError {
                    field: "amount".into(),
                    message: err.message.clone(),
                }]);
            }
            page_of(
                &s,
                &signed,
                "/earnings",
                &HashMap::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                form.get("amount"),
            )
            .await
        }
        Err(err) => Err(err),
    }
}
