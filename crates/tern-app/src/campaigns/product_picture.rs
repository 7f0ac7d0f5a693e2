//! A cart reminder's product picture: the cart's first item's `image_url`, fetched only from the
//! account's own domains and a public address (private ones only where the operator allows),
//! within size and time limits, without following redirects; checked and cleaned like an upload
//! and kept in the media library; remembered by URL so that each picture is fetched once.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

use tern_domain::{
    domains::{is_own_url, is_public_address},
    ids::AccountId,
};
use tern_store::{Account, MediaItem};

use crate::{AppState, media};

/// The most a picture may weigh as fetched (the cleaned copy must meet the MMS limit too).
const MAX_FETCH_BYTES: usize = 5 << 20;
/// The whole fetch: address lookup, connection, answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A picture that could not be had is not asked for again for this long.
const RETRY_AFTER: Duration = Duration::from_secs(600);
/// Pictures remembered per node; past it the memory starts afresh.
const REMEMBERED: usize = 10_000;

type Remembered = HashMap<(AccountId, String), (Option<MediaItem>, Instant)>;

static REMEMBER: LazyLock<Mutex<Remembered>> = LazyLock::new(Default::default);

/// The product picture at `url` for `account`, or `None` (the campaign's picture is used):
/// not on the account's own domains, unreachable, refused by the media checks.
pub async fn product_picture(
    state: &AppState,
    account: &Account,
    own_domains: &[String],
    url: &str,
) -> Option<MediaItem> {
    if !is_own_url(url, own_domains) {
        return None;
    }
    let key = (account.id, url.to_owned());
    if let Some((found, at)) = REMEMBER.lock().expect("not poisoned").get(&key)
        && (found.is_some() || at.elapsed() < RETRY_AFTER)
    {
        return found.clone();
    }
    let found = match fetch(state, url).await {
        Ok((name, bytes)) => match media::keep(state, account, None, name, bytes).await {
            Ok((item, _, _)) => Some(item),
            Err(error) => {
                tracing::info!(url, error = %error.described(), "a product picture was refused");
                None
            }
        },
        Err(reason) => {
            tracing::info!(url, reason, "a product picture could not be fetched");
            None
        }
    };
    let mut remembered = REMEMBER.lock().expect("not poisoned");
    if remembered.len() >= REMEMBERED {
        remembered.clear();
    }
    remembered.insert(key, (found.clone(), Instant::now()));
    found
}

/// The bytes at `url` and a file name for them.
async fn fetch(state: &AppState, url: &str) -> Result<(String, Vec<u8>), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not an address: {e}"))?;
    let host = parsed.host_str().ok_or("no host")?.to_owned();
    let port = parsed.port_or_known_default().ok_or("no port")?;
    let started = Instant::now();
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        FETCH_TIMEOUT,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await
    .map_err(|_| "the address lookup took too long")?
    .map_err(|e| format!("the address lookup failed: {e}"))?
    .collect();
    // The connection goes to the address checked here, not to another lookup's answer.
    let address = addresses
        .into_iter()
        .find(|a| state.fetch_private_addresses || is_public_address(a.ip()))
        .ok_or("the host has no public address")?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT.saturating_sub(started.elapsed()))
        .resolve(&host, address)
        .build()
        .map_err(|e| format!("no client: {e}"))?;
    let mut response = client
        .get(parsed.clone())
        .send()
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_FETCH_BYTES {
            return Err(format!("larger than {MAX_FETCH_BYTES} bytes"));
        }
    }
    let name: String = parsed
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|name| !name.is_empty())
        .unwrap_or("product")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    Ok((name, bytes))
}
