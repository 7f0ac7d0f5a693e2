use axum::Json;

use tern_app::accounts::AccountView;

use crate::{error::ErrorBody, extract::AccountAuth};

/// The account that owns the calling API key.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = AccountView), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn get_account(AccountAuth(account, _): AccountAuth) -> Json<AccountView> {
    Json(account.into())
}
