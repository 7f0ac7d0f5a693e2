//! What the operator does, by CLI or admin API alike: accounts, keys, users.

use chrono::Utc;
use tern_domain::{
    account::{AccountName, Email},
    credential::{hash_password, new_api_key, new_write_key},
    ids::{AccountId, ApiKeyId, UserId},
};
use tern_store::{
    Account, ApiKeyRecord, NewAccount, NewApiKeyRecord, NewUser, Store, StoreError, User,
};

use crate::{AppError, random};

/// Creates an account with a fresh write key.
pub async fn create_account(store: &dyn Store, name: AccountName) -> Result<Account, AppError> {
    let new = NewAccount {
        id: AccountId::from_random(random()),
        name,
        write_key: new_write_key(random()),
        created_at: Utc::now(),
    };
    store.create_account(new).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            AppError::Conflict("an account with this name exists".into())
        }
        other => other.into(),
    })
}

/// Finds an account by id or by its unique name.
pub async fn find_account(store: &dyn Store, id_or_name: &str) -> Result<Account, AppError> {
    match id_or_name.parse::<AccountId>() {
        Ok(id) => Ok(store.account(id).await?),
        Err(_) => Ok(store.account_by_name(id_or_name).await?),
    }
}

/// Creates an API key; the secret is returned once and only its hash is kept.
pub async fn create_api_key(
    store: &dyn Store,
    account: AccountId,
) -> Result<(ApiKeyRecord, String), AppError> {
    let key = new_api_key(random());
    let record = NewApiKeyRecord {
        id: ApiKeyId::from_random(random()),
        account_id: account,
        prefix: key.prefix,
        hash: key.hash,
        created_at: Utc::now(),
    };
    Ok((store.create_api_key(record).await?, key.secret))
}

/// Creates a panel user with an argon2 hash of `password`.
pub async fn create_user(
    store: &dyn Store,
    account: AccountId,
    email: Email,
    password: &str,
) -> Result<User, AppError> {
    let password_hash = hash_password(password, random()).map_err(|e| AppError::Invalid {
        field: "password".into(),
        message: e.to_string(),
    })?;
    let user = NewUser {
        id: UserId::from_random(random()),
        account_id: account,
        email,
        // Users the operator creates manage their account.
        role: tern_domain::access::Role::Admin,
        password_hash,
        created_at: Utc::now(),
    };
    store.create_user(user).await.map_err(|e| match e {
        StoreError::Conflict { .. } => AppError::Conflict("a user with this e-mail exists".into()),
        other => other.into(),
    })
}
