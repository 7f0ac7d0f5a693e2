//! The JSON API as the sending tests call it: one call, and a Single campaign to every
//! subscribed contact launched in the steps a user takes.

use reqwest::Method;
use serde_json::{Value, json};

use super::Server;

/// An account's key on a server.
pub struct Api {
    pub client: reqwest::Client,
    pub key: String,
}

impl Api {
    pub fn new(key: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            key: key.to_owned(),
        }
    }

    /// Calls `path`; anything but success fails the test with the answer.
    pub async fn call(
        &self,
        server: &Server,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .client
            .request(method, format!("http://{}{path}", server.address))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Saves `settings`, then makes and launches a Single SMS campaign with `body` to every
    /// subscribed contact; returns its id.
    pub async fn launch_to_everyone(
        &self,
        server: &Server,
        settings: Value,
        name: &str,
        body: &str,
    ) -> String {
        self.call(server, Method::PATCH, "/api/v1/settings", Some(settings))
            .await;
        let segment = self
            .call(
                server,
                Method::POST,
                "/api/v1/segments",
                Some(json!({
                    "name": "Everyone", "definition": {"consent": ["subscribed"]},
                })),
            )
            .await;
        let campaign = self
            .call(
                server,
                Method::POST,
                "/api/v1/campaigns",
                Some(json!({
                    "name": name, "type": "single", "channel": "sms",
                })),
            )
            .await;
        let id = campaign["id"].as_str().unwrap().to_owned();
        for (step, content) in [
            ("segments", json!({"include": [segment["id"]]})),
            ("design", json!({"body": body, "opt_out_footer": false})),
            (
                "goals",
                json!({"event": "Order Completed", "window_hours": 24}),
            ),
            ("launch", json!({})),
        ] {
            let path = format!("/api/v1/campaigns/{id}/steps/{step}");
            self.call(server, Method::PUT, &path, Some(content)).await;
        }
        let path = format!("/api/v1/campaigns/{id}/launch");
        self.call(server, Method::POST, &path, Some(json!({})))
            .await;
        id
    }
}
