use sqlx::error::ErrorKind;
use tern_store::StoreError;

/// Maps a driver error to the store's vocabulary, once for every query.
pub fn map_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: db.constraint().unwrap_or("unique").to_owned(),
            },
            ErrorKind::ForeignKeyViolation => StoreError::NotFound,
            _ => StoreError::Other(Box::new(error)),
        },
        _ => StoreError::Other(Box::new(error)),
    }
}
