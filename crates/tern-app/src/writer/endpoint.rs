//! The operator's OpenAI-compatible endpoint (`TERN_AI_URL`): one chat-completions call, with
//! the answer's JSON schema sent through whichever structured-output feature the server has.

use std::{
    sync::atomic::{AtomicU8, Ordering},
    time::Duration,
};

use serde_json::{Value, json};
use tern_domain::writer::ChatMessage;
use tokio::time::Instant;

use crate::error::{AiFailure, AppError};

/// Where the generator's model answers, from the operator's configuration.
#[derive(Clone)]
pub struct AiConfig {
    /// The base address, `/v1` included (`http://127.0.0.1:11434/v1`); `/chat/completions` is
    /// appended.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<String>,
    /// The most a request for drafts may take, a second attempt included.
    pub timeout: Duration,
}

impl std::fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How the server is asked for JSON: a JSON schema (OpenAI, llama.cpp, vLLM, Ollama), a JSON
/// object, or only by the prompt. Servers refusing one are asked the next way, once per node.
const JSON_SCHEMA: u8 = 0;
const JSON_OBJECT: u8 = 1;
const PROMPT_ONLY: u8 = 2;

/// The endpoint with its HTTP client and what its server was found to support.
pub struct AiEndpoint {
    pub config: AiConfig,
    client: reqwest::Client,
    format: AtomicU8,
}

impl AiEndpoint {
    pub fn new(config: AiConfig) -> Self {
        Self {
            config,
            client: reqwest::Client::new(),
            format: AtomicU8::new(JSON_SCHEMA),
        }
    }

    /// How this node asks the endpoint for JSON: `json_schema`, `json_object` or `none`.
    pub fn structured_output(&self) -> &'static str {
        match self.format.load(Ordering::Relaxed) {
            JSON_SCHEMA => "json_schema",
            JSON_OBJECT => "json_object",
            _ => "none",
        }
    }

    /// The model's answer to `messages`, by `deadline`; `schema` is what the answer must match.
    pub async fn complete(
        &self,
        messages: &[ChatMessage],
        schema: &Value,
        max_tokens: u32,
        deadline: Instant,
    ) -> Result<String, AppError> {
        let known = self.format.load(Ordering::Relaxed);
        let mut format = known;
        loop {
            let body = request_body(&self.config.model, messages, schema, max_tokens, format);
            let (status, text) = match tokio::time::timeout_at(deadline, self.post(&body)).await {
                Err(_) => return Err(self.timed_out()),
                Ok(answer) => answer?,
            };
            if status.is_success() {
                // A way is given up for good only once the next one has been answered: a 400
                // for another reason must not cost every account its structured output.
                if format != known {
                    let _ = self.format.compare_exchange(
                        known,
                        format,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                return content(&text);
            }
            if format < PROMPT_ONLY && refuses_format(status, &text) {
                tracing::info!(%status, "the AI endpoint refused a response format; trying the next");
                format += 1;
                continue;
            }
            // The answer may name the operator's account or hosts: it goes to the log only.
            tracing::warn!(%status, answer = %excerpt(&text), "the AI endpoint refused a request");
            return Err(AppError::ai(
                AiFailure::Unavailable,
                format!(
                    "the AI endpoint answered {status}; the operator finds its answer in Tern's log"
                ),
            ));
        }
    }

    async fn post(&self, body: &Value) -> Result<(reqwest::StatusCode, String), AppError> {
        let url = format!("{}/chat/completions", self.config.url.trim_end_matches('/'));
        let mut request = self.client.post(&url).json(body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let unreachable = |e: reqwest::Error| {
            tracing::warn!(url = %self.config.url, cause = %cause(&e), "the AI endpoint cannot be reached");
            AppError::ai(
                AiFailure::Unavailable,
                "the AI endpoint cannot be reached; the operator finds why in Tern's log",
            )
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(AppError::ai(
                    AiFailure::BadOutput,
                    "the AI endpoint's answer is larger than 1 MiB",
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }

    pub fn timed_out(&self) -> AppError {
        AppError::ai(
            AiFailure::Timeout,
            format!(
                "the AI endpoint did not answer within {} s (TERN_AI_TIMEOUT_SECS)",
                self.config.timeout.as_secs()
            ),
        )
    }
}

/// The most bytes of an answer read: a few drafts' JSON is a few kilobytes.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A chat-completions request asking for JSON the `format` way.
fn request_body(
    model: &str,
    messages: &[ChatMessage],
    schema: &Value,
    max_tokens: u32,
    format: u8,
) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages,
        "temperature": 0.8,
        "max_tokens": max_tokens,
        "stream": false,
    });
    match format {
        JSON_SCHEMA => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "drafts", "strict": true, "schema": schema},
            })
        }
        JSON_OBJECT => body["response_format"] = json!({"type": "json_object"}),
        _ => {}
    }
    body
}

/// The first choice's message text of a chat-completions answer.
fn content(text: &str) -> Result<String, AppError> {
    let bad = |why: &str| {
        AppError::ai(
            AiFailure::BadOutput,
            format!("the AI endpoint's answer {why}"),
        )
    };
    let value: Value = serde_json::from_str(text).map_err(|_| bad("is not JSON"))?;
    value["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad("has no choices[0].message.content"))
}

fn refuses_format(status: reqwest::StatusCode, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    matches!(status.as_u16(), 400 | 422)
        && (text.contains("response_format") || text.contains("json_schema"))
}

/// The start of an answer, for an error message (never the whole of it).
fn excerpt(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// A reqwest error's innermost cause (the outer ones repeat the address).
fn cause(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}
