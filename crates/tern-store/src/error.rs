/// What a storage call can fail with, mapped from driver errors once per backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key constraint refused the write.
    #[error("conflicts with an existing record ({constraint})")]
    Conflict { constraint: String },
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}
