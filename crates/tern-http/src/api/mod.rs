//! The JSON API under `/api/v1`; its OpenAPI document is generated from these handlers.

mod account;
mod admin;
mod audit;
pub(crate) mod campaign_report;
pub(crate) mod campaign_review;
pub(crate) mod campaign_run;
pub(crate) mod campaigns;
pub(crate) mod contacts;
mod document;
mod imports;
mod keys;
pub(crate) mod media;
pub(crate) mod segments;
pub(crate) mod settings;
mod tracking;

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use tern_app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tern API", description = "SMS and MMS marketing campaigns, self-hosted."),
    modifiers(&BearerSchemes),
    tags(
        (name = "account", description = "The calling account"),
        (name = "settings", description = "The account's settings"),
        (name = "keys", description = "The account's API keys"),
        (name = "media", description = "The account's media library"),
        (name = "contacts", description = "Contacts, their consent, events and carts; CSV imports"),
        (name = "segments", description = "Saved audiences, counted in the database"),
        (name = "campaigns", description = "Campaigns and their wizard steps"),
        (name = "tracking", description = "Segment-compatible event ingestion (write key as Basic-auth user name)"),
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
        components.add_security_scheme(
            "write_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The API's routes with their OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::get_account))
        .routes(routes!(audit::list))
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
        .routes(routes!(contacts::upsert, contacts::list))
        .routes(routes!(contacts::get, contacts::delete))
        .routes(routes!(contacts::events))
        .routes(routes!(contacts::consent))
        .routes(routes!(contacts::profile))
        .routes(routes!(imports::list))
        .routes(routes!(imports::get))
        .routes(routes!(segments::create, segments::list))
        .routes(routes!(segments::get, segments::update, segments::delete))
        .routes(routes!(segments::segment_audience))
        .routes(routes!(segments::preview))
        .routes(routes!(campaigns::create, campaigns::list))
        .routes(routes!(campaigns::get, campaigns::update))
        .routes(routes!(campaigns::duplicate))
        .routes(routes!(campaigns::archive))
        .routes(routes!(campaigns::steps))
        .routes(routes!(campaigns::save_step))
        .routes(routes!(campaigns::changes))
        .routes(routes!(campaign_review::variables))
        .routes(routes!(campaign_review::preview))
        .routes(routes!(campaign_review::suggestions))
        .routes(routes!(campaign_review::audience_estimate))
        .routes(routes!(campaign_review::check))
        .routes(routes!(campaign_run::launch))
        .routes(routes!(campaign_run::pause))
        .routes(routes!(campaign_run::resume))
        .routes(routes!(campaign_run::cancel))
        .routes(routes!(campaign_run::progress))
        .routes(routes!(campaign_run::messages))
        .routes(routes!(campaign_run::triggers))
        .routes(routes!(campaign_report::report))
        .routes(routes!(campaign_report::recipients))
        .routes(routes!(campaign_report::export))
        .routes(routes!(campaign_run::send_test, campaign_run::list_tests))
        .merge(
            // Segment's limits (32 KB a call, 500 KB a batch) are enforced by the handlers.
            OpenApiRouter::new()
                .routes(routes!(tracking::identify))
                .routes(routes!(tracking::track))
                .routes(routes!(tracking::page))
                .routes(routes!(tracking::screen))
                .routes(routes!(tracking::group))
                .routes(routes!(tracking::alias))
                .routes(routes!(tracking::batch))
                // Segment's libraries may gzip their batches; limits apply to what is inflated.
                .layer(tower_http::decompression::RequestDecompressionLayer::new())
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .merge(OpenApiRouter::new().routes(routes!(imports::start)).layer(
            axum::extract::DefaultBodyLimit::max(tern_app::audience::imports::MAX_IMPORT_BYTES),
        ))
        .merge(
            // Uploads may be far larger than other bodies: large images are offered a fitted copy.
            OpenApiRouter::new()
                .routes(routes!(media::upload))
                .routes(routes!(media::fit))
                .layer(axum::extract::DefaultBodyLimit::max(
                    tern_app::media::MAX_UPLOAD_BYTES,
                )),
        )
}

/// The API's router and its OpenAPI document, completed (`document`).
pub(crate) fn router_and_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, document) = routes().split_for_parts();
    (router, document::complete(document))
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_and_document().1
}
