//! Templates (MiniJinja, escaping HTML everywhere) and the panel's error pages.

use std::sync::LazyLock;

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use minijinja::Environment;
use serde::Serialize;

use crate::ApiError;

macro_rules! templates {
    ($env:ident, $($name:literal),* $(,)?) => {
        $( $env.add_template($name, include_str!(concat!("templates/", $name)))
            .expect(concat!("template ", $name, " parses")); )*
    };
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` templates escape every value unless marked safe, which none is.
    templates!(
        env,
        "base.html",
        "login.html",
        "error.html",
        "campaigns.html",
        "wizard.html",
        "design.html",
        "campaign.html",
        "contacts.html",
        "segments.html",
        "media.html",
        "settings.html",
    );
    env
});

/// Renders a page template with `context`.
pub(crate) fn page(name: &str, context: impl Serialize) -> Result<Response, PanelError> {
    let html = TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(&context)))
        .map_err(|e| PanelError::Api(ApiError::Internal(format!("template {name}: {e:#}"))))?;
    Ok(Html(html).into_response())
}

/// A page that could not be shown.
pub(crate) enum PanelError {
    Api(ApiError),
    /// A form without the session's CSRF token.
    Forgery,
}

impl From<ApiError> for PanelError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<tern_store::StoreError> for PanelError {
    fn from(e: tern_store::StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for PanelError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Forgery => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this page. Go back, reload and try again."
                    .to_owned(),
            ),
            Self::Api(ApiError::NotFound) => (
                StatusCode::NOT_FOUND,
                "There is nothing here, or nothing this account may see.".to_owned(),
            ),
            Self::Api(error) => {
                // The API's response carries the status, and the cause for the log.
                let text = error.to_string();
                let response = error.into_response();
                let status = response.status();
                let message = if status.is_server_error() {
                    "Something went wrong on the server; it has been logged.".to_owned()
                } else {
                    text
                };
                let mut page = error_page(status, &message);
                page.extensions_mut().extend(response.extensions().clone());
                return page;
            }
        };
        error_page(status, &message)
    }
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = TEMPLATES
        .get_template("error.html")
        .and_then(|t| {
            t.render(minijinja::value::Serde(
                serde_json::json!({ "status": status.as_u16(), "message": message }),
            ))
        })
        .unwrap_or_else(|_| message.to_owned());
    (status, Html(body)).into_response()
}
