//! The operator's commands on the configured database: accounts, keys, users, migrations.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;
use serde_json::json;
use tern_app::operator;
use tern_domain::{
    account::{AccountName, Email},
    ids::ApiKeyId,
};
use tern_store::Store;

use crate::{config::Config, store};

#[derive(Subcommand)]
pub enum AccountsCommand {
    /// Create an account; prints its id and event write key.
    Create {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Allow or forbid MMS for an account (id or name).
    Mms {
        #[arg(value_parser = ["enable", "disable"])]
        action: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create an API key for an account (id or name); the key is printed once.
    Create {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by its id.
    Revoke {
        key_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create a panel user; the password is read from stdin, or generated and printed once.
    Create {
        account: String,
        email: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn migrate(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = store::open_migrated(config).await?;
    let readiness = store.ready().await?;
    print(
        json,
        &json!({ "migrations": readiness }),
        &format!(
            "database is current: {} migrations applied",
            readiness.applied_migrations
        ),
    );
    Ok(())
}

impl AccountsCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        let store = store::open_migrated(config).await?;
        match self {
            Self::Create { name, json } => {
                let name: AccountName = name.parse()?;
                let account = operator::create_account(&*store, name).await?;
                print(
                    json,
                    &account,
                    &format!(
                        "created account {} ({})\nwrite key: {}",
                        account.name, account.id, account.write_key
                    ),
                );
            }
            Self::List { json } => {
                let accounts = store.list_accounts().await?;
                let text = accounts
                    .iter()
                    .map(|a| {
                        format!(
                            "{}  {}  mms={}",
                            a.id,
                            a.name,
                            if a.mms_enabled { "on" } else { "off" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                print(json, &accounts, &text);
            }
            Self::Mms {
                action,
                account,
                json,
            } => {
                let account = operator::find_account(&*store, &account).await?;
                let account = store
                    .set_mms_enabled(account.id, action == "enable")
                    .await?;
                print(
                    json,
                    &account,
                    &format!("MMS {}d for {}", action, account.name),
                );
            }
        }
        Ok(())
    }
}

impl KeysCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        let store = store::open_migrated(config).await?;
        match self {
            Self::Create { account, json } => {
                let account = operator::find_account(&*store, &account).await?;
                let (record, key) = operator::create_api_key(&*store, account.id).await?;
                let out = json!({ "id": record.id, "account_id": account.id, "key": key, "prefix": record.prefix, "created_at": record.created_at });
                print(
                    json,
                    &out,
                    &format!(
                        "API key {} for {}:\n{key}\nIt is shown only now.",
                        record.id, account.name
                    ),
                );
            }
            Self::Revoke { key_id, json } => {
                let id: ApiKeyId = key_id
                    .parse()
                    .with_context(|| format!("{key_id:?} is not a key id"))?;
                let record = store
                    .revoke_api_key(None, id, chrono::Utc::now())
                    .await
                    .map_err(|e| anyhow::anyhow!("key {key_id}: {e}"))?;
                print(json, &record, &format!("revoked key {}", record.id));
            }
        }
        Ok(())
    }
}

impl UsersCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        let Self::Create {
            account,
            email,
            json,
        } = self;
        let email: Email = email.parse()?;
        let store: std::sync::Arc<dyn Store> = store::open_migrated(config).await?;
        let account = operator::find_account(&*store, &account).await?;
        let (password, generated) = read_or_generate_password()?;
        let user = operator::create_user(&*store, account.id, email, &password).await?;
        let shown = generated.then_some(password.as_str());
        let out = json!({ "id": user.id, "account_id": user.account_id, "email": user.email, "password": shown });
        let text = match shown {
            Some(p) => format!(
                "created user {} in {}\npassword: {p}\nIt is shown only now.",
                user.email, account.name
            ),
            None => format!("created user {} in {}", user.email, account.name),
        };
        print(json, &out, &text);
        Ok(())
    }
}

/// A password piped on stdin, or a new random one.
fn read_or_generate_password() -> anyhow::Result<(String, bool)> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut input = String::new();
        stdin
            .lock()
            .read_to_string(&mut input)
            .context("read the password from stdin")?;
        let password = input.trim_end_matches(['\r', '\n']).to_owned();
        if !password.is_empty() {
            return Ok((password, false));
        }
    }
    let bytes: [u8; 15] = tern_app::random();
    Ok((bytes.iter().map(|b| format!("{b:02x}")).collect(), true))
}

fn print<T: Serialize>(json: bool, value: &T, text: &str) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("serialisable")
        );
    } else {
        println!("{text}");
    }
}
