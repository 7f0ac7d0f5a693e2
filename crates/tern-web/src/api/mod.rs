//! The JSON API under `/api/v1`; its OpenAPI document is generated from these handlers.

mod account;
mod admin;
mod keys;
mod media;
mod settings;
mod views;

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tern API", description = "SMS and MMS marketing campaigns, self-hosted."),
    modifiers(&BearerSchemes),
    tags(
        (name = "account", description = "The calling account"),
        (name = "settings", description = "The account's settings"),
        (name = "keys", description = "The account's API keys"),
        (name = "media", description = "The account's media library"),
        (name = "admin", description = "The operator's API (TERN_ADMIN_TOKEN)"),
    )
)]
struct ApiDoc;

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("api_key", bearer());
        components.add_security_scheme("admin_token", bearer());
    }
}

/// The API's routes with their OpenAPI description.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::get_account))
        .routes(routes!(settings::get_settings, settings::patch_settings))
        .routes(routes!(keys::list_keys))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(admin::create_account, admin::list_accounts))
        .routes(routes!(admin::get_account))
        .routes(routes!(admin::set_mms))
        .routes(routes!(admin::create_key))
        .routes(routes!(admin::revoke_key))
        .routes(routes!(media::list))
        .routes(routes!(media::get, media::delete))
        .merge(
            // Uploads may be far larger than other bodies: large images are offered a fitted copy.
            OpenApiRouter::new()
                .routes(routes!(media::upload))
                .routes(routes!(media::fit))
                .layer(axum::extract::DefaultBodyLimit::max(
                    media::MAX_UPLOAD_BYTES,
                )),
        )
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
