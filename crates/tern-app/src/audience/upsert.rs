//! Upserting contacts in batches: read the contacts the batch names, merge each draft in memory
//! (the domain decides), write the batch in one transaction, and read again if another writer
//! got there first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tern_domain::{
    account::InvalidSetting,
    contact::{Consent, ConsentProof, ConsentSource, ContactDraft, ContactState},
    ids::{AccountId, ContactId},
};
use tern_store::{ContactWrite, Store, StoreError, StoreResult};

/// What an upsert did to the contact it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A draft's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upserted {
    pub id: ContactId,
    pub outcome: Outcome,
    /// The draft asked to end the contact's opt-out without the right to
    /// (`contact::consent_may_change`): the consent stayed as it was.
    pub consent_kept: bool,
    /// The contact's consent was written (a new contact's first, or a change).
    pub consent_changed: bool,
}

/// How often a batch is read again after losing a race with another writer.
const ATTEMPTS: usize = 4;

/// Upserts `drafts` in order (a later draft for the same contact sees the earlier one's result).
/// Each draft gets its result or the reason it was refused; the others are written.
pub async fn upsert_contacts(
    store: &dyn Store,
    account: AccountId,
    drafts: &[(ContactDraft, ConsentSource)],
    at: DateTime<Utc>,
) -> StoreResult<Vec<Result<Upserted, InvalidSetting>>> {
    retry(|| try_upsert(store, account, drafts, false, at))
        .await
        .map(|results| results.unwrap_or_default())
}

/// Upserts all of `drafts` or, if one is refused, none: the error names the first refused
/// draft by its index.
pub async fn upsert_all(
    store: &dyn Store,
    account: AccountId,
    drafts: &[(ContactDraft, ConsentSource)],
    at: DateTime<Utc>,
) -> StoreResult<Result<Vec<Upserted>, (usize, InvalidSetting)>> {
    let results = retry(|| try_upsert(store, account, drafts, true, at)).await?;
    Ok(results.map(|results| {
        results
            .into_iter()
            .map(|r| r.expect("all accepted"))
            .collect()
    }))
}

type Attempt = Result<Vec<Result<Upserted, InvalidSetting>>, (usize, InvalidSetting)>;

async fn retry<F, Fut>(mut attempt: F) -> StoreResult<Attempt>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<Attempt>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(StoreError::Conflict { .. }) if tries < ATTEMPTS => continue,
            other => return other,
        }
    }
}

/// One contact of the batch, as it will be written.
struct Slot {
    state: ContactState,
    stored: Option<(ContactState, i64)>,
    consent_source: Option<ConsentSource>,
    consent_proof: Option<ConsentProof>,
    /// When the contact's current opt-out was made, if it has one.
    opted_out_at: Option<DateTime<Utc>>,
    /// The contact, already unsubscribed, said STOP again (or the provider said so): written
    /// anyway, so that the number's opt-out is dated by the latest.
    repeated_opt_out: bool,
}

/// A draft merged into a contact.
struct Merged {
    state: ContactState,
    /// The draft asked to end an opt-out it may not end.
    kept: bool,
    /// The proof that counted, if any.
    proof: Option<ConsentProof>,
}

/// `draft` applied by `source` to `current` (`None`: a new contact), honouring opt-outs that
/// outlive their contacts: a number on the account's opt-out list (`opt_outs`) brings its
/// opt-out to the contact it joins, and a proof no newer than the opt-out it would end proves
/// nothing.
fn merge(
    draft: &ContactDraft,
    source: ConsentSource,
    current: Option<&ContactState>,
    current_opted_out_at: Option<DateTime<Utc>>,
    opt_outs: &HashMap<String, DateTime<Utc>>,
) -> Merged {
    let joining = draft
        .phone
        .as_ref()
        .map(|p| p.e164())
        .filter(|p| current.and_then(|c| c.phone.as_deref()) != Some(*p));
    let listed = joining.and_then(|p| opt_outs.get(p)).copied();
    // The proof must be newer than the opt-out of the number the contact ends with, too.
    let final_phone = draft
        .phone
        .as_ref()
        .map(|p| p.e164())
        .or_else(|| current.and_then(|c| c.phone.as_deref()));
    let number_opted_out_at = final_phone.and_then(|p| opt_outs.get(p)).copied();
    let base = match listed {
        Some(_) => Some(ContactState {
            consent: Consent::Unsubscribed,
            ..current.cloned().unwrap_or_else(|| ContactState {
                id: None,
                external_id: None,
                phone: None,
                country: None,
                attributes: Default::default(),
                consent: Consent::Unknown,
                timezone: None,
            })
        }),
        None => current.cloned(),
    };
    let opted_out_at = listed.max(current_opted_out_at).max(number_opted_out_at);
    let stale = |proof: &ConsentProof| opted_out_at.is_some_and(|at| proof.collected_at <= at);
    let proof = draft.consent_proof.clone().filter(|p| !stale(p));
    let draft = ContactDraft {
        consent_proof: proof.clone(),
        ..draft.clone()
    };
    Merged {
        kept: draft.consent_refused(base.as_ref(), source),
        state: draft.apply(base.as_ref(), source),
        proof,
    }
}

async fn try_upsert(
    store: &dyn Store,
    account: AccountId,
    drafts: &[(ContactDraft, ConsentSource)],
    all_or_nothing: bool,
    at: DateTime<Utc>,
) -> StoreResult<Attempt> {
    let external_ids: Vec<String> = drafts
        .iter()
        .filter_map(|(d, _)| d.external_id.clone())
        .collect();
    let phones: Vec<String> = drafts
        .iter()
        .filter_map(|(d, _)| d.phone.as_ref().map(|p| p.e164().to_owned()))
        .collect();
    let stored = store
        .contacts_by_keys(account, &external_ids, &phones)
        .await?;
    // The opt-outs of every number the batch may end with: the drafts' and the stored ones'.
    let mut numbers = phones.clone();
    numbers.extend(stored.iter().filter_map(|c| c.state.phone.clone()));
    let opt_outs: HashMap<String, DateTime<Utc>> = store
        .opted_out(account, &numbers)
        .await?
        .into_iter()
        .collect();

    let mut slots: Vec<Slot> = Vec::with_capacity(drafts.len());
    let mut by_external_id: HashMap<String, usize> = HashMap::new();
    let mut by_phone: HashMap<String, usize> = HashMap::new();
    for contact in stored {
        index_keys(
            &mut by_external_id,
            &mut by_phone,
            &contact.state,
            slots.len(),
        );
        let opted_out_at = (contact.state.consent == Consent::Unsubscribed)
            .then_some(contact.consent_changed_at)
            .flatten();
        slots.push(Slot {
            state: contact.state.clone(),
            stored: Some((contact.state, contact.revision)),
            consent_source: None,
            consent_proof: None,
            opted_out_at,
            repeated_opt_out: false,
        });
    }

    let mut assigned: Vec<Result<(usize, bool), InvalidSetting>> = Vec::with_capacity(drafts.len());
    for (draft, source) in drafts {
        let ext = draft
            .external_id
            .as_ref()
            .and_then(|id| by_external_id.get(id).copied());
        let phone = draft
            .phone
            .as_ref()
            .and_then(|p| by_phone.get(p.e164()).copied());
        let target = draft.target(ext.map(|i| &slots[i].state), phone.map(|i| &slots[i].state));
        let index = match target {
            Err(problem) => {
                assigned.push(Err(problem));
                continue;
            }
            Ok(Some(_)) => ext.or(phone).expect("a target came from a slot"),
            Ok(None) => {
                // Pending contacts get a negative id so that the domain tells them apart.
                let id = Some(ContactId(-(slots.len() as i64) - 1));
                let merged = merge(draft, *source, None, None, &opt_outs);
                let state = ContactState { id, ..merged.state };
                index_keys(&mut by_external_id, &mut by_phone, &state, slots.len());
                // A number's standing opt-out is no new change of consent: no history entry.
                let changed = draft.consent.is_some() && !merged.kept;
                slots.push(Slot {
                    opted_out_at: (state.consent == Consent::Unsubscribed).then_some(at),
                    repeated_opt_out: false,
                    state,
                    stored: None,
                    consent_source: changed.then_some(*source),
                    consent_proof: merged.proof,
                });
                assigned.push(Ok((slots.len() - 1, merged.kept)));
                continue;
            }
        };
        let slot = &mut slots[index];
        let merged = merge(
            draft,
            *source,
            Some(&slot.state),
            slot.opted_out_at,
            &opt_outs,
        );
        let (next, kept) = (merged.state, merged.kept);
        let stop_again = next.consent == Consent::Unsubscribed
            && slot.state.consent == Consent::Unsubscribed
            && draft.consent == Some(Consent::Unsubscribed)
            && matches!(source, ConsentSource::Keyword | ConsentSource::Provider);
        if next.consent != slot.state.consent || stop_again {
            slot.consent_source = Some(*source);
            slot.consent_proof = merged.proof;
            slot.opted_out_at = (next.consent == Consent::Unsubscribed).then_some(at);
            slot.repeated_opt_out |= stop_again;
        }
        if let Some(old) = slot
            .state
            .phone
            .as_ref()
            .filter(|old| next.phone.as_ref() != Some(*old))
        {
            by_phone.remove(old);
        }
        slot.state = next;
        index_keys(&mut by_external_id, &mut by_phone, &slot.state, index);
        assigned.push(Ok((index, kept)));
    }
    if all_or_nothing && let Some(i) = assigned.iter().position(Result::is_err) {
        let problem = assigned.swap_remove(i).expect_err("found an error");
        return Ok(Err((i, problem)));
    }

    let mut writes = Vec::new();
    let mut write_of_slot = vec![None; slots.len()];
    for (index, slot) in slots.iter().enumerate() {
        let changed =
            slot.repeated_opt_out || slot.stored.as_ref().is_none_or(|(s, _)| *s != slot.state);
        if changed {
            write_of_slot[index] = Some(writes.len());
            let mut state = slot.state.clone();
            if slot.stored.is_none() {
                state.id = None;
            }
            writes.push(ContactWrite {
                state,
                revision: slot.stored.as_ref().map(|(_, r)| *r),
                consent_source: slot.consent_source,
                consent_proof: slot.consent_proof.clone(),
            });
        }
    }
    let ids = if writes.is_empty() {
        Vec::new()
    } else {
        store.write_contacts(account, &writes, at).await?
    };
    // A contact named by several drafts: the first gets the batch's net effect on it, the
    // later ones "updated" if anything was written.
    let mut seen = vec![false; slots.len()];
    Ok(Ok(assigned
        .into_iter()
        .map(|assigned| {
            let (index, consent_kept) = assigned?;
            let slot = &slots[index];
            let first = !std::mem::replace(&mut seen[index], true);
            let consent_changed = write_of_slot[index].is_some() && slot.consent_source.is_some();
            Ok(match (write_of_slot[index], &slot.stored) {
                (Some(w), None) if first => Upserted {
                    id: ids[w],
                    outcome: Outcome::Created,
                    consent_kept,
                    consent_changed,
                },
                (Some(w), _) => Upserted {
                    id: ids[w],
                    outcome: Outcome::Updated,
                    consent_kept,
                    consent_changed,
                },
                (None, _) => Upserted {
                    id: slot.state.id.expect("stored contacts have ids"),
                    outcome: Outcome::Unchanged,
                    consent_kept,
                    consent_changed,
                },
            })
        })
        .collect()))
}

fn index_keys(
    by_external_id: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    state: &ContactState,
    index: usize,
) {
    if let Some(id) = &state.external_id {
        by_external_id.insert(id.clone(), index);
    }
    if let Some(phone) = &state.phone {
        by_phone.insert(phone.clone(), index);
    }
}
