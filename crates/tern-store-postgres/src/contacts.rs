use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow, Postgres, QueryBuilder};
use tern_domain::ids::{AccountId, ContactId};
use tern_store::{
    ConsentChange, Contact, ContactQuery, ContactWrite, Contacts, StoreError, StoreResult, decode,
};

use crate::{PostgresStore, map_error};

const COLUMNS: &str = "id, account_id, external_id, phone, country, attributes::text AS attributes, consent, \
    consent_source, consent_changed_at, timezone, revision, created_at, updated_at";

/// Rows per insert statement.
const CHUNK: usize = 2000;

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
impl Contacts for PostgresStore {
    async fn contacts_by_ids(
        &self,
        account: AccountId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<Contact>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<ContactRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contacts WHERE account_id = $1 AND id = ANY($2) ORDER BY id"
        )))
        .bind(account.to_string())
        .bind(&ids)
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
            if keys.is_empty() {
                continue;
            }
            let rows: Vec<ContactRow> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM contacts WHERE account_id = $1 AND {column} = ANY($2)"
            )))
            .bind(account.to_string())
            .bind(keys)
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
            // Columns as arrays: twelve parameters for the whole chunk.
            let column = |f: &dyn Fn(&ContactWrite) -> Option<String>| -> Vec<Option<String>> {
                chunk.iter().map(|(_, w)| f(w)).collect()
            };
            let query = sqlx::query_as(
                "INSERT INTO contacts (account_id, external_id, phone, country, attributes, \
                 consent, consent_source, consent_changed_at, timezone, revision, created_at, \
                 updated_at) \
                 SELECT $1, e, p, c, a::jsonb, k, s, CASE WHEN s IS NULL THEN NULL ELSE $2 END, z, \
                 1, $2, $2 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::text[], $9::text[]) AS u(e, p, c, a, k, s, z) \
                 RETURNING id, external_id, phone",
            )
            .bind(&account_text)
            .bind(now)
            .bind(column(&|w| w.state.external_id.clone()))
            .bind(column(&|w| w.state.phone.clone()))
            .bind(column(&|w| w.state.country.clone()))
            .bind(column(&|w| Some(attributes_json(w))))
            .bind(column(&|w| Some(w.state.consent.as_str().to_owned())))
            .bind(column(&|w| w.consent_source.map(|s| s.as_str().to_owned())))
            .bind(column(&|w| w.state.timezone.clone()));
            let created: Vec<(i64, Option<String>, Option<String>)> =
                query.fetch_all(&mut *tx).await.map_err(map_error)?;
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
                "UPDATE contacts SET external_id = $1, phone = $2, country = $3, attributes = $4::jsonb, \
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
        if !changes.is_empty() {
            sqlx::query(
                "INSERT INTO consent_changes (contact_id, consent, source, changed_at) \
                 SELECT c, k, s, $4 FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS u(c, k, s)",
            )
            .bind(changes.iter().map(|(id, _)| id.0).collect::<Vec<i64>>())
            .bind(changes.iter().map(|(_, w)| w.state.consent.as_str()).collect::<Vec<&str>>())
            .bind(
                changes
                    .iter()
                    .map(|(_, w)| w.consent_source.map_or("", |s| s.as_str()))
                    .collect::<Vec<&str>>(),
            )
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        }
        let names = tern_store::attribute_names(writes);
        if !names.is_empty() {
            sqlx::query(
                "INSERT INTO attribute_names (account_id, name) SELECT $1, * FROM UNNEST($2::text[]) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&account_text)
            .bind(names)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        self.analyze_if_grown(&self.contacts_growth, "contacts", inserts.len() as u64)
            .await?;
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
        let mut sql = QueryBuilder::<Postgres>::new(format!(
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
