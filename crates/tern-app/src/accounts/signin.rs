//! Signing in to the panel: a password checked against its argon2 hash, with guessing made slow.
//! Failures in a row are counted per e-mail and per network address, in the store so that every
//! node counts them; past a few, each key waits longer (`access::wait_after_failures`) and is
//! answered `TooMany` until then. Hashing runs behind a small semaphore: argon2 takes about
//! 19 MiB per check, so a flood of attempts queues instead of exhausting memory.

use std::{net::IpAddr, sync::LazyLock};

use chrono::Utc;
use sha2::{Digest, Sha256};
use tern_domain::{
    access::{FREE_FAILURES_PER_ADDRESS, FREE_FAILURES_PER_EMAIL},
    credential::{hash_password, verify_password},
};
use tern_store::{StoreError, User};
use tokio::sync::Semaphore;

use crate::{AppError, AppResult, AppState, random};

/// Password checks at once on a node.
const HASHING_AT_ONCE: usize = 4;

/// The longest e-mail address (RFC 5321's path limit); a longer one names nobody.
const MAX_EMAIL_BYTES: usize = 254;

static HASHING: Semaphore = Semaphore::const_new(HASHING_AT_ONCE);

/// A hash no password matches in practice, checked when the e-mail is unknown: the answer takes
/// the same time, so timing does not tell which e-mails have users.
static UNKNOWN_USER_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password(&hex::encode(random::<16>()), random()).expect("a long password")
});

/// Whether `password` matches `hash`, on a blocking thread; the caller holds a permit.
async fn verify_on_a_blocking_thread(password: String, hash: String) -> bool {
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

/// The key failures are counted under: a hash, so that any input makes a short key.
fn key(kind: &str, value: &str) -> String {
    hex::encode(Sha256::digest(format!("{kind}:{value}").as_bytes()))
}

/// The network an address counts for: an IPv6 client may hold a whole /64.
pub fn network(address: IpAddr) -> String {
    // An IPv4 client of a server bound to `[::]` arrives as `::ffff:a.b.c.d`.
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The user these credentials name. `address` is the client's network address, when known.
/// Unknown e-mails and wrong passwords get the same `NotFound`, in about the same time;
/// `TooMany` while the e-mail or the address must wait.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    address: Option<IpAddr>,
) -> AppResult<User> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL_BYTES {
        return Err(AppError::NotFound);
    }
    let keys: Vec<String> = std::iter::once(key("email", &email))
        .chain(address.map(|a| key("address", &network(a))))
        .collect();
    // Refused before queueing for a permit, so that a waiting guesser costs no hashing...
    refuse_if_waiting(state, &keys).await?;
    let found = match state.store.user_by_email(&email).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = found
        .as_ref()
        .map_or_else(|| UNKNOWN_USER_HASH.clone(), |(_, hash)| hash.clone());
    // ...and again under the permit, which the failure is counted under too: attempts sent at
    // once queue here, and each sees the failures of those before it. A task of its own, so
    // that a client who hangs up cannot free the permit while its hash still runs.
    let state = state.clone();
    tokio::spawn(async move { check(&state, &keys, found, password, hash).await })
        .await
        .map_err(|e| AppError::Internal(format!("the password check stopped: {e}")))?
}

async fn check(
    state: &AppState,
    keys: &[String],
    found: Option<(User, String)>,
    password: String,
    hash: String,
) -> AppResult<User> {
    let permit = HASHING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("the hashing semaphore closed".into()))?;
    refuse_if_waiting(state, keys).await?;
    let matches = verify_on_a_blocking_thread(password, hash).await;
    let outcome = match found {
        Some((user, _)) if matches => {
            // Only the e-mail's count: a guesser who owns an account must not clear the
            // address's by signing in to it between guesses.
            state.store.clear_sign_in_failures(&keys[0]).await?;
            Ok(user)
        }
        _ => {
            let now = Utc::now();
            let free = [FREE_FAILURES_PER_EMAIL, FREE_FAILURES_PER_ADDRESS];
            for (key, free) in keys.iter().zip(free) {
                state.store.record_sign_in_failure(key, free, now).await?;
            }
            Err(AppError::NotFound)
        }
    };
    drop(permit);
    outcome
}

async fn refuse_if_waiting(state: &AppState, keys: &[String]) -> AppResult<()> {
    let now = Utc::now();
    match state.store.sign_in_blocked(keys, now).await? {
        Some(until) => Err(too_many(until, now)),
        None => Ok(()),
    }
}

fn too_many(until: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> AppError {
    let secs = ((until - now).num_milliseconds().max(0) as u64).div_ceil(1000);
    AppError::TooMany {
        message: format!("too many failed sign-ins: try again in {secs} s"),
        retry_after_secs: secs.max(1),
    }
}
