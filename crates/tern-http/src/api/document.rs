//! What the handlers' annotations leave out of the OpenAPI document, added once:
//!
//! - the answers every operation of a kind can give: a request with a body or a query can be
//!   unreadable (400), a JSON body can come without its content type (415) or too large (413),
//!   and a route with credentials can be refused them (401), each with the one error body;
//! - the range of unsigned 32-bit fields: utoipa writes them as `int32` from 0, whose maximum
//!   (2^31 - 1) is not theirs; they are written as `int64` up to 2^32 - 1, what they accept.

use utoipa::openapi::{
    OpenApi, RefOr, Required,
    path::{Operation, ParameterIn},
    response::Response,
};

/// Completes `openapi` (see the module's comment).
pub fn complete(openapi: OpenApi) -> OpenApi {
    let mut openapi = openapi;
    add_answers(&mut openapi);
    let mut json = serde_json::to_value(&openapi).expect("the document serialises");
    widen_unsigned(&mut json);
    serde_json::from_value(json).expect("the document reads back")
}

fn widen_unsigned(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(object) => {
            if object.get("format") == Some(&Value::from("int32"))
                && object.get("minimum") == Some(&Value::from(0))
                && !object.contains_key("maximum")
            {
                object.insert("format".into(), "int64".into());
                object.insert("maximum".into(), u32::MAX.into());
            }
            object.values_mut().for_each(widen_unsigned);
        }
        Value::Array(items) => items.iter_mut().for_each(widen_unsigned),
        _ => {}
    }
}

fn add_answers(openapi: &mut OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_to(operation);
        }
    }
}

fn add_to(operation: &mut Operation) {
    let (has_body, json_body) = match &operation.request_body {
        Some(RefOr::T(body)) => (true, body.content.contains_key("application/json")),
        Some(RefOr::Ref(_)) => (true, false),
        None => (false, false),
    };
    let has_query = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in == ParameterIn::Query,
        RefOr::Ref(_) => true,
    });
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let answers = [
        (has_body || has_query, "400", "The request cannot be read"),
        (secured, "401", "No valid credentials"),
        (has_body, "413", "The body is too large"),
        (json_body, "415", "The body is not sent as application/json"),
    ];
    for (applies, status, description) in answers {
        if applies && !operation.responses.responses.contains_key(status) {
            operation
                .responses
                .responses
                .insert(status.to_owned(), RefOr::T(error(description)));
        }
    }
    if let Some(RefOr::T(body)) = &mut operation.request_body
        && body.required.is_none()
    {
        body.required = Some(Required::True);
    }
}

fn error(description: &str) -> Response {
    Response::builder()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::Content::new(Some(utoipa::openapi::Ref::from_schema_name(
                "ErrorBody",
            ))),
        )
        .build()
}
