//! A scripted OpenAI-compatible endpoint for the AI writer's tests: each chat-completions
//! request gets the next answer of the script, and every request is kept for the test to read.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A chat completion holding these drafts as the JSON the writer asks for.
    Drafts(Vec<String>),
    /// A chat completion whose message content is this text.
    Content(String),
    /// This status with this body.
    Status(u16, String),
    /// The answer after a wait.
    Slow(Duration, Box<Answer>),
}

#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    requests: Mutex<Vec<Value>>,
}

/// The running endpoint.
pub struct FakeAi {
    /// The base address, `/v1` included, as `TERN_AI_URL` takes it.
    pub url: String,
    script: Arc<Script>,
}

impl FakeAi {
    /// Serves `answers` in order on 127.0.0.1:0; past the script, every request gets a 500.
    pub async fn start(answers: Vec<Answer>) -> Self {
        let script = Arc::new(Script {
            answers: Mutex::new(answers.into()),
            requests: Mutex::default(),
        });
        let router = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, script }
    }

    /// The request bodies received, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.script.requests.lock().unwrap().clone()
    }

    /// The writer's configuration for this endpoint.
    pub fn config(&self, timeout: Duration) -> tern_app::writer::AiConfig {
        tern_app::writer::AiConfig {
            url: self.url.clone(),
            model: "scripted".to_owned(),
            api_key: Some("sk-test".to_owned()),
            timeout,
        }
    }
}

async fn complete(State(script): State<Arc<Script>>, Json(body): Json<Value>) -> Response {
    script.requests.lock().unwrap().push(body);
    let next = script.answers.lock().unwrap().pop_front();
    let mut answer = next.unwrap_or(Answer::Status(500, "script exhausted".to_owned()));
    loop {
        match answer {
            Answer::Slow(wait, then) => {
                tokio::time::sleep(wait).await;
                answer = *then;
            }
            Answer::Status(status, body) => {
                return (StatusCode::from_u16(status).unwrap(), body).into_response();
            }
            Answer::Drafts(texts) => {
                let drafts: Vec<Value> = texts.iter().map(|t| json!({ "text": t })).collect();
                return completion(json!({ "drafts": drafts }).to_string());
            }
            Answer::Content(content) => return completion(content),
        }
    }
}

fn completion(content: String) -> Response {
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "scripted",
        "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": content}}],
    }))
    .into_response()
}
