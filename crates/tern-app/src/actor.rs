//! Who changes an account's records.

use tern_domain::ids::{ApiKeyId, UserId};

/// Who acts on an account: an API key, or a user signed in to the panel.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Key(ApiKeyId),
    User(UserId),
}

impl Actor {
    pub fn key(self) -> Option<ApiKeyId> {
        match self {
            Self::Key(id) => Some(id),
            Self::User(_) => None,
        }
    }

    /// How records name who changed them.
    pub fn by(self) -> String {
        match self {
            Self::Key(id) => format!("key:{id}"),
            Self::User(id) => format!("user:{id}"),
        }
    }
}
