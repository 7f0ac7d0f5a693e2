//! The panel over HTTP, without a browser: signing in and out, the session's CSRF token on forms
//! and API calls, escaping, security headers, and another account's campaign out of reach.
//! (The whole walk through the wizard runs in Chromium: tools/panel-test.)

use reqwest::{Method, StatusCode, header, redirect::Policy};
use serde_json::json;
use tern_testkit::{TestApp, spawn_app};

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A browser-like client: no automatic redirects, cookies kept by hand.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    pub(crate) cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self::from_address(app, None)
    }

    /// A browser whose connections come from `address` (any of 127.0.0.0/8 reaches the app).
    pub(crate) fn from_address(app: &TestApp, address: Option<std::net::IpAddr>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .local_address(address)
                .build()
                .unwrap(),
            base: app.address.clone(),
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.into(), value.into()));
            }
        }
    }

    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> (StatusCode, header::HeaderMap, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = request.header(header::COOKIE, cookie).send().await.unwrap();
        self.keep(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.text().await.unwrap())
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, header::HeaderMap, String) {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub(crate) async fn form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, header::HeaderMap, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    pub(crate) async fn api(
        &mut self,
        method: Method,
        path: &str,
        csrf: Option<&str>,
        body: serde_json::Value,
    ) -> StatusCode {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(&body);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(request).await.0
    }

    /// Signs in through the form; the answer is the page's CSRF token.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> StatusCode {
        let (_, _, page) = self.get("/login?next=/campaigns").await;
        let csrf = hidden(&page, "csrf");
        let (status, headers, _) = self
            .form(
                "/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/campaigns"),
                ],
            )
            .await;
        if status == StatusCode::SEE_OTHER {
            assert_eq!(headers[header::LOCATION], "/campaigns");
        }
        status
    }
}

/// The value of the hidden field `name` in a page.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

pub(crate) fn csrf_of(page: &str) -> String {
    let marker = "<meta name=\"csrf-token\" content=\"";
    let start = page.find(marker).expect("a csrf meta tag") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

pub(crate) async fn user(app: &TestApp, account: &str, email: &str) {
    tern_app::operator::create_user(
        &*app.store,
        account.parse().unwrap(),
        email.parse().unwrap(),
        PASSWORD,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_user_signs_in_acts_with_the_csrf_token_and_signs_out() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);

    // Without a session the panel sends to the sign-in page, keeping where the user was going.
    let (status, headers, _) = browser.get("/campaigns?status=draft").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/login?next=%2Fcampaigns%3Fstatus%3Ddraft"
    );

    // A wrong password, and a form without its login cookie, are refused.
    assert_eq!(
        browser.sign_in("ann@acme.test", "not the password").await,
        StatusCode::UNAUTHORIZED
    );
    let mut stranger = Browser::new(&app);
    let (status, _, _) = stranger
        .form(
            "/login",
            &[
                ("email", "ann@acme.test"),
                ("password", PASSWORD),
                ("csrf", "guess"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(stranger.cookies.iter().all(|(n, _)| n != "tern_session"));

    // Signing in sets an HttpOnly, SameSite session cookie.
    let (_, _, page) = browser.get("/login").await;
    let csrf = hidden(&page, "csrf");
    let (status, headers, _) = browser
        .form(
            "/login",
            &[
                ("email", "ANN@acme.test"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/campaigns",
        "only this site's paths are followed"
    );
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("tern_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // A campaign named like a script shows as text, on a page that forbids inline script.
    let made = app
        .post(
            "/api/v1/campaigns",
            &acme.key,
            json!({"name": "<script>alert(1)</script>", "type": "single"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let (status, headers, page) = browser.get("/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");

    // The API takes the session only with its CSRF token for changes; reads need none.
    let csrf = csrf_of(&page);
    let contact = json!({"phone": "+14155550101", "consent": "subscribed"});
    assert_eq!(
        browser
            .api(Method::POST, "/api/v1/contacts", None, contact.clone())
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .api(
                Method::POST,
                "/api/v1/contacts",
                Some("wrong"),
                contact.clone()
            )
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .api(Method::POST, "/api/v1/contacts", Some(&csrf), contact)
            .await,
        StatusCode::CREATED
    );
    assert_eq!(
        browser
            .api(Method::GET, "/api/v1/contacts", None, json!(null))
            .await,
        StatusCode::OK
    );

    // Create through the form: a forged one changes nothing; a real one opens the first step.
    let (status, _, _) = browser
        .form(
            "/campaigns",
            &[
                ("csrf", "forged"),
                ("name", "Forged"),
                ("type", "single"),
                ("channel", "sms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = browser
        .form(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", "Spring"),
                ("type", "single"),
                ("channel", "sms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.ends_with("/steps/segments"), "{location}");
    let listed = app.get("/api/v1/campaigns", &acme.key).await;
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Spring") && !names.contains(&"Forged"),
        "{names:?}"
    );
    let (status, _, page) = browser.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("aria-current=\"step\"") && page.contains("Spring"));
    // MMS refused with the reason for an account without it.
    let (status, _, page) = browser
        .form(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", "Pictures"),
                ("type", "single"),
                ("channel", "mms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("role=\"alert\"") && page.contains("MMS"),
        "{page}"
    );

    // Signing out needs the token too, and ends the session for good.
    let (status, _, _) = browser.form("/logout", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let old = browser.cookies.clone();
    let (status, _, _) = browser.form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    browser.cookies = old;
    let (status, _, _) = browser.get("/campaigns").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn another_accounts_campaign_is_not_found_in_the_panel() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;
    user(&app, &acme.id, "ann@acme.test").await;
    let theirs = app
        .post(
            "/api/v1/campaigns",
            &globex.key,
            json!({"name": "Theirs", "type": "single"}),
        )
        .await;
    let id = theirs.body["id"].as_str().unwrap();
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    for path in [
        format!("/campaigns/{id}"),
        format!("/campaigns/{id}/steps/design"),
    ] {
        let (status, _, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.contains("Theirs"));
    }
    let (_, _, page) = browser.get("/campaigns").await;
    assert!(!page.contains("Theirs"));
    let (status, _, _) = browser.get("/assets/panel.js").await;
    assert_eq!(status, StatusCode::OK);
}
