/// `impl Contacts for $store`: contacts with integer keys, written optimistically by revision,
/// with their consent history and the account's attribute names. Batches travel as the
/// dialect binds them (`push_rows`, `push_in_ids`, `push_in_keys`), `BATCH_ROWS` rows a
/// statement.
#[macro_export]
macro_rules! contacts {
    ($store:ty) => {
        use std::collections::{HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::{AssertSqlSafe, FromRow, QueryBuilder, Transaction};
        use tern_domain::{
            contact::{Consent, ConsentSource},
            ids::{AccountId, ContactId},
        };
        use tern_store::{
            ConsentChange, Contact, ContactQuery, ContactWrite, Contacts, StoreError, StoreResult,
            decode,
        };
        use tern_store_sql::{Column, Table};

        use crate::{
            dialect::{
                BATCH_ROWS, Db, JSON_TYPE, analyze_if_grown, push_in_ids, push_in_keys, push_rows,
            },
            map_error,
        };

        const COLUMNS: &str = "id, account_id, external_id, phone, country, \
            CAST(attributes AS TEXT) AS attributes, consent, consent_source, consent_changed_at, \
            timezone, revision, created_at, updated_at";

        #[derive(FromRow)]
        struct ContactRow {
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
            fn into_contact(self) -> StoreResult<Contact> {
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

        fn select_contacts(account: AccountId) -> QueryBuilder<Db> {
            let mut query =
                QueryBuilder::new(format!("SELECT {COLUMNS} FROM contacts WHERE account_id = "));
            query.push_bind(account.to_string());
            query
        }

        #[async_trait]
        impl Contacts for $store {
            async fn contacts_by_ids(
                &self,
                account: AccountId,
                ids: &[ContactId],
            ) -> StoreResult<Vec<Contact>> {
                let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
                let mut query = select_contacts(account);
                query.push(" AND id");
                push_in_ids(&mut query, &ids);
                query.push(" ORDER BY id");
                let rows: Vec<ContactRow> = query
                    .build_query_as()
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
                    for chunk in keys.chunks(BATCH_ROWS) {
                        let mut query = select_contacts(account);
                        query.push(format!(" AND {column}"));
                        push_in_keys(&mut query, chunk);
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

            async fn opted_out(
                &self,
                account: AccountId,
                phones: &[String],
            ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
                let mut found = Vec::new();
                for chunk in phones.chunks(BATCH_ROWS) {
                    let mut query =
                        QueryBuilder::<Db>::new("SELECT phone, at FROM opt_outs WHERE account_id = ");
                    query.push_bind(account.to_string()).push(" AND phone");
                    push_in_keys(&mut query, chunk);
                    let rows: Vec<(String, i64)> = query
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_error)?;
                    for (phone, at) in rows {
                        found.push((phone, decode::time(at)?));
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
                for chunk in inserts.chunks(BATCH_ROWS) {
                    for (i, id) in insert_contacts(&mut tx, &account_text, now, chunk).await? {
                        ids[i] = Some(id);
                    }
                }
                for write in writes.iter().filter(|w| w.state.id.is_some()) {
                    update_contact(&mut tx, &account_text, now, write).await?;
                }

                let changes: Vec<(ContactId, &ContactWrite)> = writes
                    .iter()
                    .zip(&ids)
                    .filter_map(|(w, id)| Some(((*id)?, w)))
                    .filter(|(_, w)| w.consent_source.is_some())
                    .collect();
                for chunk in changes.chunks(BATCH_ROWS) {
                    record_consent_changes(&mut tx, now, chunk).await?;
                    record_opt_outs(&mut tx, &account_text, now, chunk).await?;
                    find_welcomes(&mut tx, &account_text, now, chunk).await?;
                }
                let names = tern_store::attribute_names(writes);
                for chunk in names.chunks(BATCH_ROWS) {
                    record_attribute_names(&mut tx, &account_text, chunk).await?;
                }
                tx.commit().await.map_err(map_error)?;
                analyze_if_grown(self, Table::Contacts, inserts.len() as u64).await?;
                ids.into_iter()
                    .map(|id| {
                        id.ok_or_else(|| StoreError::Other("an inserted contact lost its id".into()))
                    })
                    .collect()
            }

            async fn attribute_names(&self, account: AccountId) -> StoreResult<Vec<String>> {
                sqlx::query_scalar(
                    "SELECT name FROM attribute_names WHERE account_id = $1 ORDER BY name",
                )
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
                let mut sql = select_contacts(account);
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
                let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
                    "SELECT consent, source, changed_at, CAST(proof AS TEXT) FROM consent_changes \
                     WHERE contact_id = $1 ORDER BY changed_at, id",
                )
                .bind(id.0)
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.iter()
                    .map(|(consent, source, at, proof)| {
                        decode::consent_change(consent, source, *at, proof.as_deref())
                    })
                    .collect()
            }
        }

        /// Inserts new contacts (each with its position in the caller's batch); returns each
        /// position with the new contact's id.
        async fn insert_contacts(
            tx: &mut Transaction<'static, Db>,
            account: &str,
            now: i64,
            chunk: &[(usize, &ContactWrite)],
        ) -> StoreResult<Vec<(usize, ContactId)>> {
            let column = |value: &dyn Fn(&ContactWrite) -> Option<String>| {
                Column::Text(chunk.iter().map(|(_, w)| value(w)).collect())
            };
            let mut query = QueryBuilder::<Db>::new("WITH u(e, p, c, a, k, s, z) AS (");
            push_rows(
                &mut query,
                vec![
                    column(&|w| w.state.external_id.clone()),
                    column(&|w| w.state.phone.clone()),
                    column(&|w| w.state.country.clone()),
                    column(&|w| Some(attributes_json(w))),
                    column(&|w| Some(w.state.consent.as_str().to_owned())),
                    column(&|w| w.consent_source.map(|s| s.as_str().to_owned())),
                    column(&|w| w.state.timezone.clone()),
                ],
            );
            query
                .push(
                    ") INSERT INTO contacts (account_id, external_id, phone, country, attributes, \
                     consent, consent_source, consent_changed_at, timezone, revision, created_at, \
                     updated_at) SELECT ",
                )
                .push_bind(account.to_owned())
                .push(format!(
                    ", e, p, c, CAST(a AS {JSON_TYPE}), k, s, CASE WHEN s IS NULL THEN NULL ELSE "
                ))
                .push_bind(now)
                .push(" END, z, 1, ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM u RETURNING id, external_id, phone");
            let created: Vec<(i64, Option<String>, Option<String>)> = query
                .build_query_as()
                .fetch_all(&mut **tx)
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
            Ok(created
                .into_iter()
                .filter_map(|(id, external_id, phone)| {
                    let i = position.get(&(external_id.as_deref(), phone.as_deref()))?;
                    Some((*i, ContactId(id)))
                })
                .collect())
        }

        /// Saves a stored contact if it is still at the revision the write was computed from.
        async fn update_contact(
            tx: &mut Transaction<'static, Db>,
            account: &str,
            now: i64,
            write: &ContactWrite,
        ) -> StoreResult<()> {
            let done = sqlx::query(AssertSqlSafe(format!(
                "UPDATE contacts SET external_id = $1, phone = $2, country = $3, \
                 attributes = CAST($4 AS {JSON_TYPE}), consent = $5, \
                 consent_source = COALESCE($6, consent_source), \
                 consent_changed_at = COALESCE($7, consent_changed_at), timezone = $8, \
                 revision = revision + 1, updated_at = $9 \
                 WHERE id = $10 AND account_id = $11 AND revision = $12"
            )))
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
            .bind(account)
            .bind(write.revision)
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict {
                    constraint: "contacts_revision".into(),
                });
            }
            Ok(())
        }

        /// Appends each written contact's new consent, with its source, to the history.
        async fn record_consent_changes(
            tx: &mut Transaction<'static, Db>,
            now: i64,
            changes: &[(ContactId, &ContactWrite)],
        ) -> StoreResult<()> {
            let mut query = QueryBuilder::<Db>::new("WITH u(c, k, s, p) AS (");
            push_rows(
                &mut query,
                vec![
                    Column::Int(changes.iter().map(|(id, _)| Some(id.0)).collect()),
                    Column::Text(
                        changes
                            .iter()
                            .map(|(_, w)| Some(w.state.consent.as_str().to_owned()))
                            .collect(),
                    ),
                    Column::Text(
                        changes
                            .iter()
                            .map(|(_, w)| w.consent_source.map(|s| s.as_str().to_owned()))
                            .collect(),
                    ),
                    Column::Text(
                        changes
                            .iter()
                            .map(|(_, w)| {
                                w.consent_proof
                                    .as_ref()
                                    .and_then(|p| serde_json::to_string(p).ok())
                            })
                            .collect(),
                    ),
                ],
            );
            query
                .push(
                    ") INSERT INTO consent_changes (contact_id, consent, source, changed_at, proof) \
                     SELECT c, k, s, ",
                )
                .push_bind(now)
                .push(format!(", CAST(p AS {JSON_TYPE}) FROM u"));
            query.build().execute(&mut **tx).await.map_err(map_error)?;
            Ok(())
        }

        /// Keeps the account's opted-out numbers: a number whose contact opts out is listed (with
        /// the latest opt-out's time), one whose contact is subscribed again (which the rules
        /// allow only by START or a proof) is no longer. The list outlives the contact: a
        /// deleted contact, or one whose number moved, does not take its opt-out with it.
        async fn record_opt_outs(
            tx: &mut Transaction<'static, Db>,
            account: &str,
            now: i64,
            changes: &[(ContactId, &ContactWrite)],
        ) -> StoreResult<()> {
            let rows = |consent: Consent| -> Vec<Option<String>> {
                changes
                    .iter()
                    .filter(|(_, w)| w.state.consent == consent)
                    .filter_map(|(_, w)| w.state.phone.clone().map(Some))
                    .collect()
            };
            let out = rows(Consent::Unsubscribed);
            if !out.is_empty() {
                let mut query = QueryBuilder::<Db>::new("WITH u(p) AS (");
                push_rows(&mut query, vec![Column::Text(out)]);
                query
                    .push(") INSERT INTO opt_outs (account_id, phone, at) SELECT ")
                    .push_bind(account.to_owned())
                    .push(", p, ")
                    .push_bind(now)
                    .push(" FROM u WHERE p IS NOT NULL ON CONFLICT (account_id, phone) DO UPDATE SET at = excluded.at");
                query.build().execute(&mut **tx).await.map_err(map_error)?;
            }
            let back: Vec<String> = rows(Consent::Subscribed).into_iter().flatten().collect();
            if !back.is_empty() {
                let mut query = QueryBuilder::<Db>::new("DELETE FROM opt_outs WHERE account_id = ");
                query.push_bind(account.to_owned()).push(" AND phone");
                push_in_keys(&mut query, &back);
                query.build().execute(&mut **tx).await.map_err(map_error)?;
            }
            Ok(())
        }

        /// The Welcome triggers of contacts who subscribed now, in the transaction that records
        /// it: once per contact and active Welcome campaign. An import's subscriptions welcome
        /// nobody (importing an existing list must not message it).
        async fn find_welcomes(
            tx: &mut Transaction<'static, Db>,
            account: &str,
            now: i64,
            changes: &[(ContactId, &ContactWrite)],
        ) -> StoreResult<()> {
            let welcomed: Vec<Option<i64>> = changes
                .iter()
                .filter(|(_, w)| w.state.consent == Consent::Subscribed)
                .filter(|(_, w)| w.consent_source != Some(ConsentSource::Import))
                .map(|(id, _)| Some(id.0))
                .collect();
            if welcomed.is_empty() {
                return Ok(());
            }
            let mut query = QueryBuilder::<Db>::new("WITH u(c) AS (");
            push_rows(&mut query, vec![Column::Int(welcomed)]);
            query
                .push(
                    ") INSERT INTO triggers (account_id, campaign_id, contact_id, trigger_key, \
                     cause, version, started_at, due_at, state, created_at, updated_at) \
                     SELECT r.account_id, r.campaign_id, u.c, 'welcome', 'subscribed', r.version, ",
                )
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" + r.delay_ms, 'waiting', ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM u JOIN trigger_rules r ON r.account_id = ")
                .push_bind(account.to_owned())
                .push(" AND r.kind = 'welcome' WHERE r.ends_at IS NULL OR r.ends_at > ")
                .push_bind(now)
                .push(" ON CONFLICT (campaign_id, contact_id, trigger_key) DO NOTHING");
            query.build().execute(&mut **tx).await.map_err(map_error)?;
            Ok(())
        }

        /// Records attribute names of the account not recorded yet.
        async fn record_attribute_names(
            tx: &mut Transaction<'static, Db>,
            account: &str,
            names: &[&str],
        ) -> StoreResult<()> {
            let mut query = QueryBuilder::<Db>::new("WITH u(n) AS (");
            push_rows(
                &mut query,
                vec![Column::Text(names.iter().map(|n| Some((*n).to_owned())).collect())],
            );
            // `WHERE true`: SQLite would read the `ON` of `ON CONFLICT` as a join's.
            query
                .push(") INSERT INTO attribute_names (account_id, name) SELECT ")
                .push_bind(account.to_owned())
                .push(", n FROM u WHERE true ON CONFLICT DO NOTHING");
            query.build().execute(&mut **tx).await.map_err(map_error)?;
            Ok(())
        }
    };
}
