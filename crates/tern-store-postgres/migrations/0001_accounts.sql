CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT accounts_name_key UNIQUE,
    mms_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    write_key TEXT NOT NULL CONSTRAINT accounts_write_key_key UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE account_settings (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    settings JSONB NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL CONSTRAINT api_keys_hash_key UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account_id ON api_keys (account_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_account_id ON users (account_id);
