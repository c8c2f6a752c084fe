//! `GET /join/{program}`: the public recruitment page (P1) with the application form, or the
//! reason applications are refused (P2). Rendered on the server; every value is escaped.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use partnerline_proto::identity::v1 as pb;
use platform::AppError;

use super::program::JoinQuery;
use crate::problem::{ApiQuery, upstream};
use crate::state::AppState;

pub async fn page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<JoinQuery>,
) -> Result<Response, AppError> {
    let req = pb::GetJoinPageRequest { program: slug, invite: q.invite.clone(), tenant_id: None };
    let p = s.identity().get_join_page(platform::grpc::request(req, None)).await.map_err(upstream)?.into_inner();
    Ok(Html(render(&p, q.invite.as_deref())).into_response())
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(p: &pb::JoinPage, invite: Option<&str>) -> String {
    let name = escape(&p.program_name);
    let invited = p
        .inviting_partner
        .as_deref()
        .map(|who| format!("<p class=\"invited\">Invited by {}</p>", escape(who)))
        .unwrap_or_default();
    let body = if p.open {
        format!(
            r#"<form id="apply" data-program="{slug}" data-invite="{invite}">
<label>Name <input name="name" required maxlength="200"></label>
<label>Email <input name="email" type="email" required></label>
<label>Phone <input name="phone" type="tel"></label>
<label>Password <input name="password" type="password" required minlength="8"></label>
<label>Why you? <textarea name="message" maxlength="5000"></textarea></label>
<button>Apply</button>
<p id="result" role="status"></p>
</form>
<script>
document.getElementById('apply').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const f = e.target, data = Object.fromEntries(new FormData(f));
  if (f.dataset.invite) data.invite = f.dataset.invite;
  const r = await fetch('/api/v1/programs/' + encodeURIComponent(f.dataset.program) + '/applications',
    {{ method: 'POST', headers: {{ 'content-type': 'application/json' }}, body: JSON.stringify(data) }});
  const j = await r.json();
  document.getElementById('result').textContent = r.ok
    ? (j.status === 'approved' ? 'Welcome! You can sign in now.' : 'Thank you: we will review your application and write to you.')
    : j.detail;
}});
</script>"#,
            slug = escape(&p.program),
            invite = escape(invite.unwrap_or("")),
        )
    } else {
        format!("<p class=\"closed\">{}</p>", escape(&p.closed_reason))
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Join {name}</title><style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}}\
label{{display:block;margin:.6rem 0}}input,textarea{{width:100%}}.plan{{white-space:pre-wrap}}</style></head>\
<body><h1>Join {name}</h1>{invited}<div class=\"plan\">{plan}</div>{body}</body></html>",
        plan = escape(&p.recruitment_plan),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_on_the_join_page_is_escaped() {
        let p = pb::JoinPage {
            program: "demo".into(),
            program_name: "<script>alert(1)</script>".into(),
            recruitment_plan: "Earn \"10%\" & more".into(),
            open: true,
            closed_reason: String::new(),
            inviting_partner: Some("O'Brien <b>".into()),
            ..Default::default()
        };
        let html = render(&p, Some("\"><img src=x>"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Earn &quot;10%&quot; &amp; more"));
        assert!(html.contains("O&#39;Brien &lt;b&gt;"));
        assert!(!html.contains("\"><img"));
    }

    #[test]
    fn p2_a_closed_program_shows_why_and_no_form() {
        let p = pb::JoinPage {
            program: "demo".into(),
            program_name: "Demo".into(),
            open: false,
            closed_reason: "Not now.".into(),
            ..Default::default()
        };
        let html = render(&p, None);
        assert!(html.contains("Not now."));
        assert!(!html.contains("<form"));
    }
}
