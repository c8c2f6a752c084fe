//! A real headless Chromium for the page tests, driven over WebDriver by Debian's chromedriver:
//! [`Browser::start`] runs chromedriver on a free port with a fresh profile, and the helpers
//! read what a person would see (text, console errors, horizontal scroll, axe-core's findings)
//! and write screenshots under `target/screenshots/`.
//!
//! `cargo xtask test` installs `chromium`, `chromium-driver` and axe-core when they are missing;
//! run alone, a test that finds none says what to install.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn program(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default))
}

/// Where screenshots go: `target/screenshots/` of the workspace.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}

/// axe-core's script, as `cargo xtask test` installs it (or `PARTNERLINE_AXE_JS`).
fn axe_source() -> String {
    let path = std::env::var_os("PARTNERLINE_AXE_JS").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/partnerline/axe/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed for the accessibility check and was not found at {} ({e}); install it with \
             `npm install --prefix ~/.cache/partnerline/axe axe-core@4` (cargo xtask test does this)",
            path.display()
        )
    })
}

/// `POST /session/{id}/se/log`: chromedriver's browser log (console messages, failed loads,
/// CSP violations) since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

impl Browser {
    pub async fn start() -> Browser {
        let chromium = program("PARTNERLINE_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = program("PARTNERLINE_CHROMEDRIVER", "/usr/bin/chromedriver");
        assert!(
            chromium.exists() && chromedriver.exists(),
            "the page tests need Chromium and its driver ({} and {}); install them with \
             `apt-get install -y chromium chromium-driver` (cargo xtask test does this)",
            chromium.display(),
            chromedriver.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile = std::env::temp_dir().join(format!("pl-chromium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()), "--window-size=1280,900",
                ],
            },
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => return Browser { client, driver, _profile: tempdir::Dir(profile) },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last:?}");
    }

    /// Opens `url` and waits for the page to finish loading.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.client.wait().at_most(Duration::from_secs(5)).for_element(Locator::Css(css)).await;
        match el {
            Ok(el) => el.text().await.unwrap(),
            Err(e) => panic!("no element `{css}` on {}: {e}", self.url().await),
        }
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field `{css}`: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no select `{css}`: {e}"));
        el.select_by_value(value).await.unwrap();
    }

    /// Clicks something that leads to another page (a link, a form's button) and waits until
    /// that page has loaded: the old document carries a mark the new one lacks.
    pub async fn click(&self, css: &str) {
        self.client.execute("window.__plOld = true", vec![]).await.unwrap();
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}` to click: {e}"));
        el.click().await.unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
        for _ in 0..200 {
            let gone = self
                .client
                .execute("return window.__plOld === undefined && document.readyState === 'complete'", vec![])
                .await;
            if gone.ok().and_then(|v| v.as_bool()) == Some(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("clicking `{css}` on {} led to no new page", self.url().await);
    }

    /// Waits until the document has loaded.
    pub async fn settle(&self) {
        for _ in 0..100 {
            let state = self.client.execute("return document.readyState", vec![]).await;
            if state.ok().and_then(|v| v.as_str().map(str::to_string)).as_deref() == Some("complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Console errors, failed loads and CSP violations since the last call (SEVERE entries).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap_or(Value::Null);
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Sets the window's inner width (390: a phone; 1280: a desktop).
    pub async fn width(&self, width: u32) {
        // The window's frame takes no room headless, so the window size is the viewport.
        self.client.set_window_size(width, 900).await.unwrap();
    }

    /// Whether the page scrolls sideways (it must not, at any width).
    pub async fn scrolls_sideways(&self) -> bool {
        let v = self
            .client
            .execute("return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1", vec![])
            .await
            .unwrap();
        v.as_bool().unwrap_or(true)
    }

    /// The full page as a PNG under `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        // A full-page shot: the window is made as tall as the document for the capture.
        let height = self
            .client
            .execute("return Math.ceil(document.documentElement.scrollHeight)", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        let (w, _) = self.client.get_window_size().await.map(|(w, h)| (w as u32, h)).unwrap_or((1280, 900));
        self.client.set_window_size(w, height).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        self.client.set_window_size(w, 900).await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// axe-core's serious and critical violations on the current page, as `rule: target` lines.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = axe_source();
        self.client.execute(&axe, vec![]).await.expect("axe-core loads into the page");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(
              r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))),
              e => done(['axe failed: ' + e]));
        "#;
        let v = self.client.execute_async(script, vec![]).await.expect("axe-core runs");
        v.as_array().into_iter().flatten().map(|x| x.as_str().unwrap_or_default().to_string()).collect()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
