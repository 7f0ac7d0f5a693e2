//! What the API shows of stored records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_store::{Account, ApiKeyRecord};
use utoipa::ToSchema;

/// An account as its owner and the operator see it.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    /// Whether the operator allows this account to design, test and send MMS.
    pub mms_enabled: bool,
    /// The user name for Segment-compatible event ingestion.
    pub write_key: String,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.to_string(),
            mms_enabled: a.mms_enabled,
            write_key: a.write_key,
            created_at: a.created_at,
        }
    }
}

/// An API key's record; the key itself is shown only when it is created.
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    pub id: String,
    pub account_id: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRecord> for KeyView {
    fn from(k: ApiKeyRecord) -> Self {
        Self {
            id: k.id.to_string(),
            account_id: k.account_id.to_string(),
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}
