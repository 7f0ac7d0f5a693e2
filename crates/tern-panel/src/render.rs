//! Templates (MiniJinja, escaping HTML everywhere) and the panel's error pages.

use std::sync::LazyLock;

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use minijinja::Environment;
use serde::Serialize;

use tern_app::{AppError, InternalCause};

macro_rules! templates {
    ($env:ident, $($name:literal),* $(,)?) => {
        $( $env.add_template($name, include_str!(concat!("templates/", $name)))
            .expect(concat!("template ", $name, " parses")); )*
    };
}

/// Stable codes the API answers (skip reasons, fields of steps) in a marketer's words: the
/// templates' `label` filter and the scripts (through the page's `labels` JSON) read this list.
pub(crate) const LABELS: &[(&str, &str)] = &[
    ("invalid_phone", "Phone number not valid"),
    ("unsubscribed", "Unsubscribed"),
    ("no_consent", "No SMS consent"),
    (
        "outside_mms_countries",
        "Outside the US, Canada and Australia (MMS)",
    ),
    ("no_sender", "No sender for their country"),
    ("render_failed", "Personalization failed"),
    ("too_long", "Message too long"),
    ("frequency_cap", "Over the frequency cap"),
    ("holdout", "Held out (measures the lift)"),
    ("previewer", "Link previewer (iMessage, Google Messages, …)"),
    ("bot_agent", "Bot or script"),
    ("no_agent", "No browser named"),
    ("head", "HEAD request (no page loaded)"),
    ("no_accept_language", "No language header"),
    ("too_soon", "Within 3 s of delivery"),
    ("burst", "Burst from one address"),
    ("holdout_percent", "Holdout share"),
    ("currency", "Currency"),
    ("ordered", "Ordered"),
    ("cart_emptied", "Cart emptied"),
    ("new_cart", "A newer cart took its place"),
    ("below_min_value", "Cart below the smallest value"),
    ("no_matching_product", "No product of the rule in the cart"),
    ("period", "Reminded recently"),
    ("too_late", "Could not go in time"),
    ("contact_deleted", "Contact deleted"),
    ("campaign_cancelled", "Campaign cancelled"),
    ("campaign_ended", "Campaign ended"),
    ("invalid_number", "Number not valid"),
    ("not_sms_capable", "Cannot receive SMS"),
    ("gave_up", "Not sent after repeated tries"),
    (
        "mms_disabled",
        "Picture messages turned off for the account",
    ),
    (
        "unknown",
        "Outcome unknown: Twilio could not be asked for 15 minutes",
    ),
    ("body", "Message"),
    ("media", "Picture"),
    ("channel", "Channel"),
    ("name", "Name"),
    ("type", "Message type"),
    ("send_at", "Send time"),
    ("quiet_hours", "Sending hours"),
    ("throttle", "Throttle"),
    ("end_at", "End date"),
    ("max_segments", "Most segments"),
    ("delay_minutes", "Delay"),
    ("min_cart_value", "Smallest cart value"),
    ("product_ids", "Products"),
    ("per_contact_days", "Days between reminders"),
    ("lateness_hours", "Hours a reminder may be late"),
    ("window_hours", "Attribution window"),
    ("revenue_property", "Revenue property"),
    ("event", "Conversion event"),
    ("include", "Included segments"),
    ("exclude", "Excluded segments"),
    ("segments", "Segments"),
    ("rules", "Rules"),
    ("design", "Design"),
    ("goals", "Goals"),
    ("launch", "Launch"),
    ("not_gsm7", "Characters outside GSM-7"),
    ("avoided_words", "Words the brand voice avoids"),
    ("repeated", "Repeats an earlier draft"),
    ("template", "Not plain text"),
    ("link", "A web address of its own"),
    ("brief", "Brief"),
    ("brief.offer", "Product or offer"),
    ("brief.goal", "Goal"),
    ("brief.tone", "Tone"),
    ("brief.language", "Language"),
    ("brief.count", "Drafts"),
    ("brief.link", "Link"),
    ("brief.encoding", "Alphabet"),
    ("earlier", "Earlier drafts"),
];

/// `code` in a marketer's words: `include[1]` reads as its list's label; an unknown code is
/// shown with spaces for underscores and a capital.
pub(crate) fn label(code: &str) -> String {
    let base = code.split('[').next().unwrap_or(code);
    if let Some((_, text)) = LABELS.iter().find(|(c, _)| *c == code || *c == base) {
        return (*text).to_owned();
    }
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_filter("label", |code: String| label(&code));
    env.add_global(
        "labels",
        minijinja::Value::from_pairs(LABELS.iter().copied()),
    );
    // `.html` templates escape every value unless marked safe, which none is.
    templates!(
        env,
        "base.html",
        "login.html",
        "users.html",
        "invite.html",
        "audit.html",
        "error.html",
        "campaigns.html",
        "wizard.html",
        "design.html",
        "campaign.html",
        "campaign_actions.html",
        "contacts.html",
        "contact.html",
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
        .map_err(|e| PanelError::App(AppError::Internal(format!("template {name}: {e:#}"))))?;
    Ok(Html(html).into_response())
}

/// A page that could not be shown.
pub(crate) enum PanelError {
    App(AppError),
    /// A form without the session's CSRF token.
    Forgery,
}

impl From<AppError> for PanelError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<tern_store::StoreError> for PanelError {
    fn from(e: tern_store::StoreError) -> Self {
        Self::App(e.into())
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
            Self::App(AppError::NotFound) => (
                StatusCode::NOT_FOUND,
                "There is nothing here, or nothing this account may see.".to_owned(),
            ),
            Self::App(AppError::Internal(cause)) => {
                let mut page = error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server; it has been logged.",
                );
                // The router's middleware logs it, with the route.
                page.extensions_mut().insert(InternalCause(cause));
                return page;
            }
            Self::App(error) => {
                let status = match error {
                    AppError::Conflict(_) => StatusCode::CONFLICT,
                    AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                    AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
                    AppError::Stale(_) => StatusCode::PRECONDITION_FAILED,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, error.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_one_label_and_unknown_codes_read_as_words() {
        let mut codes: Vec<&str> = LABELS.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "a code listed twice reads two ways");
        assert_eq!(label("include[1]"), "Included segments");
        assert_eq!(label("no_sender"), "No sender for their country");
        assert_eq!(label("cart_reminder"), "Cart reminder");
    }
}
