//! The drafts read from what the model answered: the JSON object asked for, or, from servers
//! without structured output, the first JSON object in the text.

use serde_json::Value;

/// The model's answer held no drafts Tern could read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the model's answer is not the JSON asked for: {0}")]
pub struct BadOutput(pub String);

/// The drafts' texts, in order; an answer of plain strings instead of objects is read too.
pub fn read_drafts(content: &str) -> Result<Vec<String>, BadOutput> {
    let value: Value = match serde_json::from_str(content.trim()) {
        Ok(value) => value,
        Err(_) => embedded_object(content)
            .ok_or_else(|| BadOutput("no JSON object in the text".to_owned()))?,
    };
    let drafts = value
        .get("drafts")
        .and_then(Value::as_array)
        .ok_or_else(|| BadOutput("no \"drafts\" list".to_owned()))?;
    let texts: Vec<String> = drafts
        .iter()
        .filter_map(|d| match d {
            Value::String(s) => Some(s.clone()),
            other => other.get("text").and_then(Value::as_str).map(str::to_owned),
        })
        .collect();
    if texts.is_empty() {
        return Err(BadOutput("the \"drafts\" list holds no text".to_owned()));
    }
    Ok(texts)
}

/// The first `{…}` of `text` that parses (models often wrap JSON in prose or a code fence).
fn embedded_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start)
        .then(|| serde_json::from_str(&text[start..=end]).ok())
        .flatten()
}
