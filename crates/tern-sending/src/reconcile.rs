//! Messages whose outcome was lost (the process stopped, or the answer never came) are looked up
//! at their provider once their lease has ended — when no request of theirs can still arrive.
//! Found means sent; absent means queued again. Lookups go recipient by recipient, many at once;
//! a lookup that fails is tried again later, backing off, and after a long time the message is
//! given up as `unknown` with the explanation, so that a campaign whose credentials were revoked
//! still ends.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::{TimeDelta, Utc};
use tern_delivery::{provider::Found, twilio::Listed};
use tern_domain::ids::AccountId;
use tern_store::{Claimed, Outcome};
use tokio::{sync::Semaphore, task::JoinSet};

use super::{dispatch::DispatchOptions, providers::Providers};
use tern_app::AppState;

/// How long lookups may fail before a message is given up as `unknown`.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::minutes(15);

/// Recipients looked up at once.
const LOOKUPS_AT_ONCE: usize = 16;

/// Looks up messages whose lease ended, until the process stops.
pub async fn reconcile(state: AppState, providers: Arc<Providers>, options: DispatchOptions) {
    let lease = TimeDelta::from_std(options.lease).expect("a lease of seconds");
    loop {
        let now = state.clock.now();
        let lost = match state.store.expired(now, now + lease, 200).await {
            Ok(lost) => lost,
            Err(error) => {
                tracing::warn!(%error, "reading expired leases failed");
                Vec::new()
            }
        };
        if lost.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        // Within half a lease: past it, another node may take the same messages over. What
        // was not looked up by then is asked again when its new lease ends.
        let deadline =
            tokio::time::Instant::now() + options.request_timeout().min(options.lease / 2);
        let outcomes = look_up(&state, &providers, lost, deadline).await;
        let found = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Sent { .. }))
            .count();
        tracing::info!(
            looked_up = outcomes.len(),
            found,
            "messages with an unknown outcome looked up"
        );
        if let Err(error) = state.store.record(&outcomes, state.clock.now()).await {
            tracing::warn!(%error, "recording reconciled messages failed");
        }
    }
}

/// One recipient's lost messages and what the provider listed for them (or why it could not).
type Lookup = (Vec<Claimed>, Result<Vec<Listed>, String>);

/// Each lost message's outcome: found, absent, or its lookup failed.
async fn look_up(
    state: &AppState,
    providers: &Arc<Providers>,
    lost: Vec<Claimed>,
    deadline: tokio::time::Instant,
) -> Vec<Outcome> {
    let mut recipients: BTreeMap<(AccountId, String), Vec<Claimed>> = BTreeMap::new();
    for message in lost {
        recipients
            .entry((message.account_id, message.to.clone()))
            .or_default()
            .push(message);
    }
    let slots = Arc::new(Semaphore::new(LOOKUPS_AT_ONCE));
    let mut lookups = JoinSet::new();
    for ((account, to), messages) in recipients {
        let (state, providers, slots) = (state.clone(), providers.clone(), slots.clone());
        lookups.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("never closed");
            let since = messages
                .iter()
                .map(|m| m.claimed_at)
                .min()
                .expect("one at least");
            let listed = match providers.for_account(&state, account).await {
                Ok(provider) => provider.list_to(&to, since).await.map_err(|e| e.0),
                Err(error) => Err(error.to_string()),
            };
            (messages, listed)
        });
    }
    let mut listed: Vec<Lookup> = Vec::new();
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, lookups.join_next()).await {
        if let Ok(done) = done {
            listed.push(done);
        }
    }
    if !lookups.is_empty() {
        tracing::warn!(
            left = lookups.len(),
            "recipients not looked up in time; asked again later"
        );
        lookups.abort_all();
    }
    // A message the outbox already holds is some other message's, not a lost one's.
    let sids: Vec<String> = listed
        .iter()
        .filter_map(|(_, l)| l.as_ref().ok())
        .flatten()
        .map(|m| m.sid.clone())
        .collect();
    let known: HashSet<String> = match state.store.known_sids(&sids).await {
        Ok(known) => known.into_iter().collect(),
        Err(error) => {
            tracing::warn!(%error, "reading known message ids failed; looking up later");
            return Vec::new();
        }
    };
    let now = state.clock.now();
    let mut outcomes = Vec::new();
    for (messages, listed) in listed {
        match listed {
            Ok(listed) => {
                let matched = match_lost(&messages, &listed, &known);
                for (message, found) in messages.iter().zip(matched) {
                    outcomes.push(match found {
                        Some(found) => Outcome::Sent {
                            id: message.id,
                            attempts: message.attempts,
                            sid: found.sid,
                            status: found.status,
                        },
                        None => Outcome::Requeue {
                            id: message.id,
                            attempts: message.attempts,
                            due_at: now,
                            error: Some(
                                "not found at the provider after an unknown outcome".into(),
                            ),
                        },
                    });
                }
            }
            Err(error) => {
                for message in &messages {
                    outcomes.push(lookup_failed(message, &error, now));
                }
            }
        }
    }
    outcomes
}

/// A failed lookup: asked again later (the longer it has failed, the later), or given up.
fn lookup_failed(message: &Claimed, error: &str, now: chrono::DateTime<Utc>) -> Outcome {
    let since = message.lookup_failing_since.unwrap_or(now);
    if now - since >= GIVE_UP_AFTER {
        tracing::warn!(message = message.id, %error, "the provider could not be asked for 15 minutes; outcome unknown");
        return Outcome::Failed {
            id: message.id,
            attempts: message.attempts,
            reason: "unknown".into(),
            code: None,
            message: format!(
                "the provider could not be asked for {} minutes whether it has this message \
                 (it may or may not have been sent): {error}",
                GIVE_UP_AFTER.num_minutes()
            ),
        };
    }
    tracing::warn!(message = message.id, %error, "reconciliation could not ask the provider; asking again later");
    let wait = ((now - since) / 2).clamp(TimeDelta::seconds(5), TimeDelta::seconds(60));
    Outcome::LookupFailed {
        id: message.id,
        attempts: message.attempts,
        retry_at: now + wait,
    }
}

/// Which listed message each lost one (all to one recipient) is: one the API created since its
/// claim (a minute of clock difference allowed), from its sender, that no other message holds —
/// with the same text first; else, when exactly one such message is left, that one (the
/// provider may have rewritten the text: taking it for sent risks a lost message, sending again
/// risks a double one).
pub fn match_lost(
    lost: &[Claimed],
    listed: &[Listed],
    known: &HashSet<String>,
) -> Vec<Option<Found>> {
    let created = |m: &Listed| {
        m.date_created
            .as_deref()
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    let mut taken: HashSet<&str> = known.iter().map(String::as_str).collect();
    let mut oldest_first: Vec<&Listed> = listed.iter().collect();
    oldest_first.sort_by_key(|m| created(m));
    let fits = |message: &Claimed, m: &Listed| {
        let from_sender = message.sender.starts_with("MG")
            || m.from.as_deref().is_none_or(|from| from == message.sender);
        let in_time = created(m).is_none_or(|c| c >= message.claimed_at - TimeDelta::minutes(1));
        let by_the_api = m.direction.as_deref().is_none_or(|d| d == "outbound-api");
        from_sender && in_time && by_the_api
    };
    let mut found: Vec<Option<Found>> = vec![None; lost.len()];
    for exact in [true, false] {
        for (i, message) in lost.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            let mut hits = oldest_first.iter().filter(|m| {
                !taken.contains(m.sid.as_str())
                    && fits(message, m)
                    && (!exact || m.body.as_deref() == Some(message.body.as_str()))
            });
            let hit = match (exact, hits.next(), hits.next()) {
                (true, first, _) => first,
                (false, only, None) => only,
                // Several texts it could be: none is taken for it.
                (false, _, Some(_)) => None,
            };
            if let Some(m) = hit {
                taken.insert(&m.sid);
                found[i] = Some(Found {
                    sid: m.sid.clone(),
                    status: m.status,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use tern_domain::delivery::outcome::ProviderStatus;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn lost(id: i64, body: &str, claimed: &str) -> Claimed {
        Claimed {
            id,
            account_id: AccountId::from_random([1; 16]),
            campaign_id: tern_domain::ids::CampaignId::from_random([2; 16]),
            contact_id: None,
            to: "+14155550100".into(),
            sender: "+14155550001".into(),
            body: body.into(),
            media: vec![],
            attempts: 1,
            claimed_at: at(claimed),
            not_before: at(claimed),
            lease_until: at(claimed),
            lookup_failing_since: None,
            expires_at: None,
        }
    }

    fn listed(sid: &str, from: &str, body: &str, created: &str) -> Listed {
        Listed {
            sid: sid.into(),
            to: "+14155550100".into(),
            from: Some(from.into()),
            status: ProviderStatus::Sent,
            body: Some(body.into()),
            date_created: Some(at(created).to_rfc2822()),
            direction: Some("outbound-api".into()),
        }
    }

    #[test]
    fn the_same_text_is_preferred_then_a_rewritten_one_is_taken() {
        let a = lost(
            1,
            "Sale: 20% off \u{201c}today\u{201d}",
            "2026-06-01T10:00:00Z",
        );
        let b = lost(2, "Second campaign", "2026-06-01T10:00:05Z");
        let list = [
            // Twilio replaced the smart quotes (Smart Encoding): a near match for `a`.
            listed(
                "SM1",
                "+14155550001",
                "Sale: 20% off \"today\"",
                "2026-06-01T10:00:01Z",
            ),
            listed(
                "SM2",
                "+14155550001",
                "Second campaign",
                "2026-06-01T10:00:06Z",
            ),
        ];
        let found = match_lost(&[a, b], &list, &HashSet::new());
        let sids: Vec<_> = found
            .iter()
            .map(|f| f.as_ref().map(|f| f.sid.as_str()))
            .collect();
        assert_eq!(sids, [Some("SM1"), Some("SM2")]);
    }

    #[test]
    fn replies_and_ambiguous_near_matches_are_not_taken() {
        let a = lost(1, "Sale today", "2026-06-01T10:00:00Z");
        let mut reply = listed(
            "SMreply",
            "+14155550001",
            "Reply STOP to opt out",
            "2026-06-01T10:00:01Z",
        );
        reply.direction = Some("outbound-reply".into());
        assert_eq!(
            match_lost(std::slice::from_ref(&a), &[reply], &HashSet::new()),
            [None]
        );
        let two = [
            listed("SM1", "+14155550001", "Sale: today", "2026-06-01T10:00:01Z"),
            listed(
                "SM2",
                "+14155550001",
                "Other: today",
                "2026-06-01T10:00:02Z",
            ),
        ];
        assert_eq!(match_lost(&[a], &two, &HashSet::new()), [None]);
    }

    #[test]
    fn another_senders_older_or_known_messages_are_not_taken() {
        let a = lost(1, "Hi", "2026-06-01T10:00:00Z");
        let list = [
            listed("SMother", "+14155559999", "Hi", "2026-06-01T10:00:01Z"),
            listed("SMold", "+14155550001", "Hi", "2026-06-01T09:00:00Z"),
            listed("SMknown", "+14155550001", "Hi", "2026-06-01T10:00:02Z"),
        ];
        let known = HashSet::from(["SMknown".to_string()]);
        assert_eq!(match_lost(&[a], &list, &known), [None]);
    }

    #[test]
    fn lookups_back_off_then_give_up_as_unknown() {
        let mut message = lost(1, "Hi", "2026-06-01T10:00:00Z");
        let now = at("2026-06-01T10:01:00Z");
        let Outcome::LookupFailed { retry_at, .. } = lookup_failed(&message, "503", now) else {
            panic!("asked again");
        };
        assert_eq!(retry_at, now + TimeDelta::seconds(5));
        message.lookup_failing_since = Some(now - TimeDelta::minutes(10));
        let Outcome::LookupFailed { retry_at, .. } = lookup_failed(&message, "503", now) else {
            panic!("asked again");
        };
        assert_eq!(retry_at, now + TimeDelta::seconds(60));
        message.lookup_failing_since = Some(now - TimeDelta::minutes(15));
        let Outcome::Failed { reason, .. } = lookup_failed(&message, "503", now) else {
            panic!("given up");
        };
        assert_eq!(reason, "unknown");
    }
}
