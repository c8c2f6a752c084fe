//! Sign-in for people: the access and refresh tokens live in HttpOnly cookies, and the server
//! rotates them (a page request with an expired access token is refreshed before the handler
//! runs, and the new pair is set on the answer). Every form that changes something carries the
//! CSRF token of the `pl_csrf` cookie, and is refused without it.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use gateway::AppState;
use gateway::auth::Caller;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use partnerline_proto::identity::v1 as ipb;
use rand::RngCore;

use crate::i18n::Lang;

pub const ACCESS: &str = "pl_at";
pub const REFRESH: &str = "pl_rt";
pub const CSRF: &str = "pl_csrf";
pub const LANG: &str = "pl_lang";
/// The form field the CSRF token travels in.
pub const CSRF_FIELD: &str = "_csrf";
/// Forms are small; anything larger is not one of ours.
const FORM_LIMIT: usize = 64 * 1024;
/// The refresh cookie outlives a browser restart; identity decides how long the session lasts.
const REFRESH_MAX_AGE: i64 = 30 * 24 * 3600;

/// What the middleware learnt of a request, for the handlers: the signed-in caller (if any), the
/// CSRF token to put in forms, and the language asked for before the profile is known.
#[derive(Clone)]
pub struct Visit {
    pub caller: Option<Caller>,
    pub csrf: String,
    /// The switcher's choice (`pl_lang`), if any: it wins over the profile.
    pub chosen: Option<Lang>,
    /// `Accept-Language`'s choice, or English.
    pub accepted: Lang,
    /// Cookies to set on the answer.
    set: Vec<String>,
}

/// A signed-in person; extracting it sends anyone else to the login page, and back afterwards.
pub struct Signed(pub Caller, pub Visit);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _s: &AppState) -> Result<Self, Response> {
        let visit = parts
            .extensions
            .get::<Visit>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        match visit.caller.clone() {
            Some(c) => Ok(Signed(c, visit)),
            None => Err(to_login(parts.uri.path_and_query().map_or("/", |p| p.as_str()))),
        }
    }
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _s: &AppState) -> Result<Self, Response> {
        parts.extensions.get::<Visit>().cloned().ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// The login page, with where to come back to.
pub fn to_login(next: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(safe_next(next).as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// `next` when it is a path of this site (never `//host` or `https://...`: no open redirect).
pub fn safe_next(next: &str) -> &str {
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains(['\r', '\n']);
    if ok { next } else { "/" }
}

/// Value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when the site is served over
/// https. `max_age` 0 deletes the cookie; `None` makes it last the browser session.
pub fn set_cookie(secure: bool, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn secure(s: &AppState) -> bool {
    s.redirect.public_url.starts_with("https://")
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares without telling by its timing how much of the token matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Visit {
    fn cookies_for(&self, res: &mut Response) {
        append_cookies(res, self.set.iter().cloned());
    }

    /// The language of a page: the switcher's choice, then the profile's, then the browser's.
    pub fn lang(&self, profile: &str) -> Lang {
        self.chosen.or_else(|| Lang::parse(profile)).unwrap_or(self.accepted)
    }
}

/// Cookies that sign `pair` in (login, refresh).
pub fn sign_in_cookies(secure: bool, pair: &ipb::TokenPair) -> [String; 2] {
    [
        set_cookie(secure, ACCESS, &pair.access_token, None),
        set_cookie(secure, REFRESH, &pair.refresh_token, Some(REFRESH_MAX_AGE)),
    ]
}

/// Adds `Set-Cookie` headers to an answer.
pub fn append_cookies(res: &mut Response, cookies: impl IntoIterator<Item = String>) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
}

/// Ends the session in the browser (the handler ends it at identity).
pub fn sign_out_cookies(secure: bool) -> [String; 2] {
    [set_cookie(secure, ACCESS, "", Some(0)), set_cookie(secure, REFRESH, "", Some(0))]
}

/// The pages' middleware: reads the session (refreshing it when the access token has expired),
/// refuses a form without its CSRF token, and turns a problem the handler answered with into the
/// error page (401: the login page).
pub async fn middleware(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let secure = secure(&s);
    let mut set = Vec::new();
    let csrf = match cookie(&parts.headers, CSRF) {
        Some(t) => t.to_string(),
        None => {
            let t = random_token();
            set.push(set_cookie(secure, CSRF, &t, None));
            t
        }
    };
    let accepted = parts
        .headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept)
        .unwrap_or(Lang::EN);
    let chosen = cookie(&parts.headers, LANG).and_then(Lang::parse);
    let lang = chosen.unwrap_or(accepted);

    // A form: its token must be the cookie's. Its body is read here and handed on unchanged.
    let body = if parts.method != Method::GET && parts.method != Method::HEAD {
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return crate::pages::error_page(lang, StatusCode::PAYLOAD_TOO_LARGE, None);
        };
        let sent = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
        let known = cookie(&parts.headers, CSRF);
        if !matches!((sent.as_deref(), known), (Some(a), Some(b)) if same(a, b)) {
            return crate::pages::error_page(lang, StatusCode::FORBIDDEN, Some("error-csrf"));
        }
        Body::from(bytes)
    } else {
        body
    };

    let mut caller = None;
    if let Some(token) = cookie(&parts.headers, ACCESS)
        && let Ok(principal) = s.verifier.verify(token)
    {
        caller = Some(Caller::new(token.to_string(), principal));
    }
    if caller.is_none()
        && let Some(refresh) = cookie(&parts.headers, REFRESH)
    {
        let req = ipb::RefreshRequest { refresh_token: refresh.to_string() };
        match s.identity().refresh(platform::grpc::request(req, None)).await {
            Ok(pair) => {
                let pair = pair.into_inner();
                if let Ok(principal) = s.verifier.verify(&pair.access_token) {
                    caller = Some(Caller::new(pair.access_token.clone(), principal));
                    set.extend(sign_in_cookies(secure, &pair));
                }
            }
            Err(_) => set.extend(sign_out_cookies(secure)),
        }
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let visit = Visit { caller, csrf, chosen, accepted, set };
    parts.extensions.insert(visit.clone());
    let mut res = next.run(Request::from_parts(parts, body)).await;
    let problem = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    if problem {
        res = match res.status() {
            StatusCode::UNAUTHORIZED => {
                let mut r = to_login(&path);
                append_cookies(&mut r, sign_out_cookies(secure));
                r
            }
            status => crate::pages::error_page(lang, status, None),
        };
    }
    visit.cookies_for(&mut res);
    res.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_next_is_a_path_of_this_site_only() {
        assert_eq!(safe_next("/customers?q=a"), "/customers?q=a");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/x\r\nSet-Cookie: a=b"), "/");
    }

    #[test]
    fn a1_session_cookies_are_http_only_lax_and_secure_over_https() {
        assert_eq!(set_cookie(false, ACCESS, "t", None), "pl_at=t; Path=/; HttpOnly; SameSite=Lax");
        assert_eq!(
            set_cookie(true, REFRESH, "r", Some(60)),
            "pl_rt=r; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        let mut h = HeaderMap::new();
        h.append(http::header::COOKIE, HeaderValue::from_static("a=1; pl_at=tok; pl_csrf="));
        assert_eq!(cookie(&h, ACCESS), Some("tok"));
        assert_eq!(cookie(&h, CSRF), None, "an empty cookie is none");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
