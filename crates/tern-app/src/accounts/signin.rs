//! Signing in to the panel: a password checked against its argon2 hash, with guessing made slow.
//! Failures in a row are counted per e-mail and per network address, in the store so that every
//! node counts them; past a few, each key waits longer (`access::wait_after_failures`) and is
//! answered `TooMany` until then. Hashing runs behind a small semaphore: argon2 takes about
//! 19 MiB per check, so a flood of attempts queues instead of exhausting memory.

use std::sync::LazyLock;

use chrono::Utc;
use tern_domain::{
    access::{FREE_FAILURES_PER_ADDRESS, FREE_FAILURES_PER_EMAIL},
    credential::{hash_password, verify_password},
};
use tern_store::{StoreError, User};
use tokio::sync::Semaphore;

use crate::{AppError, AppResult, AppState, random};

/// Password checks at once on a node.
const HASHING_AT_ONCE: usize = 4;

static HASHING: Semaphore = Semaphore::const_new(HASHING_AT_ONCE);

/// A hash no password matches in practice, checked when the e-mail is unknown: the answer takes
/// the same time, so timing does not tell which e-mails have users.
static UNKNOWN_USER_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password(&hex::encode(random::<16>()), random()).expect("a long password")
});

/// Whether `password` matches `hash`, on a blocking thread, at most [`HASHING_AT_ONCE`] at once.
pub async fn password_matches(password: String, hash: String) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// Hashes a new password on a blocking thread, behind the same semaphore.
pub async fn new_password_hash(password: String) -> AppResult<String> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("the hashing semaphore closed".into()))?;
    tokio::task::spawn_blocking(move || hash_password(&password, random()))
        .await
        .map_err(|e| AppError::Internal(format!("hashing: {e}")))?
        .map_err(|e| AppError::invalid("password", e.to_string()))
}

/// The user these credentials name. `address` is the client's network address, when known.
/// Unknown e-mails and wrong passwords get the same `NotFound`, in about the same time;
/// `TooMany` while the e-mail or the address must wait.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    address: Option<&str>,
) -> AppResult<User> {
    let email_key = format!("email:{}", email.trim().to_lowercase());
    let address_key = address.map(|a| format!("address:{a}"));
    let keys: Vec<String> = std::iter::once(email_key.clone())
        .chain(address_key.clone())
        .collect();
    let now = Utc::now();
    if let Some(until) = state.store.sign_in_blocked(&keys, now).await? {
        return Err(too_many(until, now));
    }
    let found = match state.store.user_by_email(email.trim()).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = found
        .as_ref()
        .map_or_else(|| UNKNOWN_USER_HASH.clone(), |(_, hash)| hash.clone());
    let matches = password_matches(password, hash).await;
    match found {
        Some((user, _)) if matches => {
            // Only the e-mail's count: a guesser who owns an account must not clear the
            // address's by signing in to it between guesses.
            state.store.clear_sign_in_failures(&email_key).await?;
            Ok(user)
        }
        _ => {
            let now = Utc::now();
            state
                .store
                .record_sign_in_failure(&email_key, FREE_FAILURES_PER_EMAIL, now)
                .await?;
            if let Some(key) = &address_key {
                state
                    .store
                    .record_sign_in_failure(key, FREE_FAILURES_PER_ADDRESS, now)
                    .await?;
            }
            Err(AppError::NotFound)
        }
    }
}

fn too_many(until: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> AppError {
    let secs = ((until - now).num_milliseconds().max(0) as u64).div_ceil(1000);
    AppError::TooMany {
        message: format!("too many failed sign-ins: try again in {secs} s"),
        retry_after_secs: secs.max(1),
    }
}
