//! What the report and writer benchmarks start from: a fresh SQLite store, one account and one
//! Single SMS campaign.

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use tern_domain::{
    account::AccountName,
    campaign::{CampaignStatus, CampaignType, Channel},
    ids::CampaignId,
};
use tern_store::{Account, CampaignChange, CampaignRecord, Store};

/// The store (its URL too, for SQL of the benchmark's own), the account and the campaign.
pub struct Fixture {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub account: Account,
    pub campaign: CampaignRecord,
}

/// A migrated SQLite database `file` in `dir` (any earlier one removed) with the account
/// "bench" and a campaign `name` of `status` holding `steps`.
pub async fn fixture(
    dir: &std::path::Path,
    file: &str,
    name: &str,
    status: CampaignStatus,
    steps: Value,
) -> anyhow::Result<Fixture> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file);
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let store: Arc<dyn Store> = Arc::new(tern_store_sqlite::SqliteStore::connect(&url).await?);
    store.migrate().await?;
    let account_name: AccountName = "bench".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let account = tern_app::operator::create_account(store.as_ref(), account_name)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = Utc::now();
    let campaign = CampaignRecord {
        id: CampaignId::from_random(tern_app::random()),
        account_id: account.id,
        name: name.into(),
        kind: CampaignType::Single,
        channel: Channel::Sms,
        status,
        steps: steps.as_object().cloned().unwrap_or_default(),
        archived_at: None,
        created_by: "bench".into(),
        updated_by: "bench".into(),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let change = CampaignChange {
        what: "created".into(),
        by: "bench".into(),
        at: now,
    };
    store.create_campaign(&campaign, &change).await?;
    Ok(Fixture {
        url,
        store,
        account,
        campaign,
    })
}
