//! The AI text generator's connection: the operator's endpoint and the per-account rate limit.
//! What is asked and what is made of the answer is `campaigns::suggestions`.

mod endpoint;

use std::num::NonZeroU32;

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::HashMapStateStore,
};
use tern_domain::ids::AccountId;

pub use endpoint::{AiConfig, AiEndpoint};

use crate::AppError;

/// Requests for drafts an account may make a minute (per node), after a burst of
/// [`BURST`]: each costs the operator a model's time or a hosted model's price.
const PER_MINUTE: u32 = 30;
const BURST: u32 = 10;

/// The endpoint and who has used it how much.
pub struct Writer {
    pub endpoint: AiEndpoint,
    limiter: RateLimiter<AccountId, HashMapStateStore<AccountId>, DefaultClock>,
}

impl Writer {
    pub fn new(config: AiConfig) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(PER_MINUTE).expect("not zero"))
            .allow_burst(NonZeroU32::new(BURST).expect("not zero"));
        Self {
            endpoint: AiEndpoint::new(config),
            limiter: RateLimiter::hashmap(quota),
        }
    }

    /// Counts one request of `account`, or says when it may ask again.
    pub fn admit(&self, account: AccountId) -> Result<(), AppError> {
        self.limiter.check_key(&account).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooMany {
                message: format!(
                    "at most {PER_MINUTE} requests for drafts a minute: ask again in {} s",
                    wait.as_secs() + 1
                ),
                retry_after_secs: wait.as_secs() + 1,
            }
        })
    }
}
