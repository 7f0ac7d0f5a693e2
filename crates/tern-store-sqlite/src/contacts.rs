use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow, QueryBuilder, Sqlite};
use tern_domain::ids::{AccountId, ContactId};
use tern_store::{
    ConsentChange, Contact, ContactQuery, ContactWrite, Contacts, StoreError, StoreResult, decode,
};

use crate::{SqliteStore, map_error};

const COLUMNS: &str = "id, account_id, external_id, phone, country, attributes, consent, \
    consent_source, consent_changed_at, timezone, revision, created_at, updated_at";

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 1000;

#[derive(FromRow)]
pub(crate) struct ContactRow {
    id: i64,
    account_id: String,
    external_id: Option<String>,
    phone: Option<String>,
    country: Option<String>,
    attributes: String,
    consent: String,
    consent_source: Option<String>,
    consent_changed_at: Option<i64>,
    timezone: Option<String>,
    revision: i64,
    created_at: i64,
    updated_at: i64,
}

impl ContactRow {
    pub(crate) fn into_contact(self) -> StoreResult<Contact> {
        decode::contact(decode::ContactColumns {
            id: self.id,
            account_id: self.account_id,
            external_id: self.external_id,
            phone: self.phone,
            country: self.country,
            attributes: self.attributes,
            consent: self.consent,
            consent_source: self.consent_source,
            consent_changed_at: self.consent_changed_at,
            timezone: self.timezone,
            revision: self.revision,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn attributes_json(write: &ContactWrite) -> String {
    serde_json::Value::Object(write.state.attributes.clone()).to_string()
}

#[async_trait]
impl Contacts for SqliteStore {
    async fn contacts_by_ids(
        &self,
        account: AccountId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<Contact>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<ContactRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contacts WHERE account_id = $1 AND id IN \
             (SELECT value FROM json_each($2)) ORDER BY id"
        )))
        .bind(account.to_string())
        .bind(serde_json::to_string(&ids).expect("numbers serialise"))
        .fetch_all(&self.pool)
        .await
        .map_err(map_error)?;
        rows.into_iter().map(ContactRow::into_contact).collect()
    }

    async fn contacts_by_keys(
        &self,
        account: AccountId,
        external_ids: &[String],
        phones: &[String],
    ) -> StoreResult<Vec<Contact>> {
        let mut found: Vec<Contact> = Vec::new();
        let mut seen = HashSet::new();
        for (column, keys) in [("external_id", external_ids), ("phone", phones)] {
            for chunk in keys.chunks(CHUNK) {
                let mut query = QueryBuilder::<Sqlite>::new(format!(
                    "SELECT {COLUMNS} FROM contacts WHERE account_id = "
                ));
                query.push_bind(account.to_string());
                query.push(format!(" AND {column} IN ("));
                let mut list = query.separated(", ");
                for key in chunk {
                    list.push_bind(key);
                }
                query.push(")");
                let rows: Vec<ContactRow> = query
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                for row in rows {
                    let contact = row.into_contact()?;
                    if seen.insert(contact.id) {
                        found.push(contact);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn write_contacts(
        &self,
        account: AccountId,
        writes: &[ContactWrite],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<ContactId>> {
        let now = decode::millis(at);
        let account_text = account.to_string();
        let mut tx = self.pool.begin().await.map_err(map_error)?;
        let mut ids: Vec<Option<ContactId>> = writes.iter().map(|w| w.state.id).collect();

        let inserts: Vec<(usize, &ContactWrite)> = writes
            .iter()
            .enumerate()
            .filter(|(_, w)| w.state.id.is_none())
            .collect();
        for chunk in inserts.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO contacts (account_id, external_id, phone, country, attributes, \
                 consent, consent_source, consent_changed_at, timezone, revision, created_at, \
                 updated_at) ",
            );
            query.push_values(chunk, |mut row, (_, w)| {
                row.push_bind(&account_text)
                    .push_bind(&w.state.external_id)
                    .push_bind(&w.state.phone)
                    .push_bind(&w.state.country)
                    .push_bind(attributes_json(w))
                    .push_bind(w.state.consent.as_str())
                    .push_bind(w.consent_source.map(|s| s.as_str()))
                    .push_bind(w.consent_source.map(|_| now))
                    .push_bind(&w.state.timezone)
                    .push_bind(1_i64)
                    .push_bind(now)
                    .push_bind(now);
            });
            query.push(" RETURNING id, external_id, phone");
            let created: Vec<(i64, Option<String>, Option<String>)> = query
                .build_query_as()
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
            // A batch never holds two new contacts with the same keys, so keys name each row.
            let position: HashMap<(Option<&str>, Option<&str>), usize> = chunk
                .iter()
                .map(|(i, w)| {
                    (
                        (w.state.external_id.as_deref(), w.state.phone.as_deref()),
                        *i,
                    )
                })
                .collect();
            for (id, external_id, phone) in created {
                if let Some(i) = position.get(&(external_id.as_deref(), phone.as_deref())) {
                    ids[*i] = Some(ContactId(id));
                }
            }
        }

        for write in writes.iter().filter(|w| w.state.id.is_some()) {
            let done = sqlx::query(
                "UPDATE contacts SET external_id = $1, phone = $2, country = $3, attributes = $4, \
                 consent = $5, consent_source = COALESCE($6, consent_source), \
                 consent_changed_at = COALESCE($7, consent_changed_at), timezone = $8, \
                 revision = revision + 1, updated_at = $9 \
                 WHERE id = $10 AND account_id = $11 AND revision = $12",
            )
            .bind(&write.state.external_id)
            .bind(&write.state.phone)
            .bind(&write.state.country)
            .bind(attributes_json(write))
            .bind(write.state.consent.as_str())
            .bind(write.consent_source.map(|s| s.as_str()))
            .bind(write.consent_source.map(|_| now))
            .bind(&write.state.timezone)
            .bind(now)
            .bind(write.state.id.map(|id| id.0))
            .bind(&account_text)
            .bind(write.revision)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict {
                    constraint: "contacts_revision".into(),
                });
            }
        }

        let changes: Vec<(ContactId, &ContactWrite)> = writes
            .iter()
            .zip(&ids)
            .filter_map(|(w, id)| Some(((*id)?, w)))
            .filter(|(_, w)| w.consent_source.is_some())
            .collect();
        for chunk in changes.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO consent_changes (contact_id, consent, source, changed_at) ",
            );
            query.push_values(chunk, |mut row, (id, w)| {
                row.push_bind(id.0)
                    .push_bind(w.state.consent.as_str())
                    .push_bind(w.consent_source.map(|s| s.as_str()))
                    .push_bind(now);
            });
            query.build().execute(&mut *tx).await.map_err(map_error)?;
        }
        let names = tern_store::attribute_names(writes);
        if !names.is_empty() {
            let mut query =
                QueryBuilder::<Sqlite>::new("INSERT INTO attribute_names (account_id, name) ");
            query.push_values(&names, |mut row, name| {
                row.push_bind(&account_text).push_bind(*name);
            });
            query.push(" ON CONFLICT DO NOTHING");
            query.build().execute(&mut *tx).await.map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        ids.into_iter()
            .map(|id| id.ok_or_else(|| StoreError::Other("an inserted contact lost its id".into())))
            .collect()
    }

    async fn attribute_names(&self, account: AccountId) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM attribute_names WHERE account_id = $1 ORDER BY name")
            .bind(account.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)
    }

    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Contact> {
        let row: ContactRow = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contacts WHERE id = $1 AND account_id = $2"
        )))
        .bind(id.0)
        .bind(account.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(map_error)?;
        row.into_contact()
    }

    async fn list_contacts(
        &self,
        account: AccountId,
        query: &ContactQuery,
    ) -> StoreResult<Vec<Contact>> {
        let mut sql = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {COLUMNS} FROM contacts WHERE account_id = "
        ));
        sql.push_bind(account.to_string());
        if let Some(after) = query.after {
            sql.push(" AND id > ").push_bind(after.0);
        }
        if let Some(consent) = query.consent {
            sql.push(" AND consent = ").push_bind(consent.as_str());
        }
        if let Some(country) = &query.country {
            sql.push(" AND country = ").push_bind(country);
        }
        if let Some(search) = &query.search {
            // Prefix ranges use the unique indexes on phone and external id.
            let end = format!("{search}\u{10FFFF}");
            sql.push(" AND ((phone >= ")
                .push_bind(search)
                .push(" AND phone < ")
                .push_bind(end.clone())
                .push(") OR (external_id >= ")
                .push_bind(search)
                .push(" AND external_id < ")
                .push_bind(end)
                .push("))");
        }
        sql.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows: Vec<ContactRow> = sql
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        rows.into_iter().map(ContactRow::into_contact).collect()
    }

    async fn delete_contact(&self, account: AccountId, id: ContactId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM contacts WHERE id = $1 AND account_id = $2")
            .bind(id.0)
            .bind(account.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn consent_history(
        &self,
        account: AccountId,
        id: ContactId,
    ) -> StoreResult<Vec<ConsentChange>> {
        self.contact(account, id).await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT consent, source, changed_at FROM consent_changes WHERE contact_id = $1 \
             ORDER BY changed_at, id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_error)?;
        rows.iter()
            .map(|(consent, source, at)| decode::consent_change(consent, source, *at))
            .collect()
    }
}
