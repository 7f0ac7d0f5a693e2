/// `impl Media for $store`: cleaned media, stored once per account and content.
#[macro_export]
macro_rules! media {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::FromRow;
        use tern_domain::ids::{AccountId, MediaId};
        use tern_store::{Media, MediaItem, StoreResult, decode};

        use crate::map_error;

        #[derive(FromRow)]
        struct MediaRow {
            id: String,
            account_id: String,
            sha256: String,
            token: String,
            format: String,
            bytes: i64,
            original_bytes: i64,
            width: i64,
            height: i64,
            frames: i64,
            file_name: String,
            uploaded_by: Option<String>,
            created_at: i64,
        }

        impl MediaRow {
            fn into_item(self) -> StoreResult<MediaItem> {
                let Self {
                    id,
                    account_id,
                    sha256,
                    token,
                    format,
                    bytes,
                    original_bytes,
                    width,
                    height,
                    frames,
                    file_name,
                    uploaded_by,
                    created_at,
                } = self;
                decode::media(decode::MediaColumns {
                    id,
                    account_id,
                    sha256,
                    token,
                    format,
                    bytes,
                    original_bytes,
                    width,
                    height,
                    frames,
                    file_name,
                    uploaded_by,
                    created_at,
                })
            }
        }

        #[async_trait]
        impl Media for $store {
            async fn create_media(&self, item: MediaItem) -> StoreResult<(MediaItem, bool)> {
                let inserted: Option<MediaRow> = sqlx::query_as(
                    "INSERT INTO media (id, account_id, sha256, token, format, bytes, original_bytes, width, height, frames, file_name, uploaded_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                     ON CONFLICT (account_id, sha256) DO NOTHING RETURNING *",
                )
                .bind(item.id.to_string())
                .bind(item.account_id.to_string())
                .bind(&item.sha256)
                .bind(&item.token)
                .bind(item.format.as_str())
                .bind(item.bytes as i64)
                .bind(item.original_bytes as i64)
                .bind(i64::from(item.width))
                .bind(i64::from(item.height))
                .bind(i64::from(item.frames))
                .bind(&item.file_name)
                .bind(item.uploaded_by.map(|k| k.to_string()))
                .bind(decode::millis(item.created_at))
                .fetch_optional(&self.pool)
                .await
                .map_err(map_error)?;
                match inserted {
                    Some(row) => Ok((row.into_item()?, true)),
                    None => {
                        let row: MediaRow =
                            sqlx::query_as("SELECT * FROM media WHERE account_id = $1 AND sha256 = $2")
                                .bind(item.account_id.to_string())
                                .bind(&item.sha256)
                                .fetch_one(&self.pool)
                                .await
                                .map_err(map_error)?;
                        Ok((row.into_item()?, false))
                    }
                }
            }

            async fn media(&self, account: AccountId, id: MediaId) -> StoreResult<MediaItem> {
                let row: MediaRow = sqlx::query_as("SELECT * FROM media WHERE account_id = $1 AND id = $2")
                    .bind(account.to_string())
                    .bind(id.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                row.into_item()
            }

            async fn media_by_token(&self, token: &str) -> StoreResult<MediaItem> {
                let row: MediaRow = sqlx::query_as("SELECT * FROM media WHERE token = $1")
                    .bind(token)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                row.into_item()
            }

            async fn list_media(&self, account: AccountId) -> StoreResult<Vec<MediaItem>> {
                let rows: Vec<MediaRow> = sqlx::query_as(
                    "SELECT * FROM media WHERE account_id = $1 ORDER BY created_at DESC, id",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(MediaRow::into_item).collect()
            }

            async fn delete_media(&self, account: AccountId, id: MediaId) -> StoreResult<MediaItem> {
                let row: MediaRow =
                    sqlx::query_as("DELETE FROM media WHERE account_id = $1 AND id = $2 RETURNING *")
                        .bind(account.to_string())
                        .bind(id.to_string())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_error)?;
                row.into_item()
            }
        }
    };
}
