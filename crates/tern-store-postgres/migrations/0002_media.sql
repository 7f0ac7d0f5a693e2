CREATE TABLE media (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    token TEXT NOT NULL CONSTRAINT media_token_key UNIQUE,
    format TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    original_bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    frames BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT media_account_sha256_key UNIQUE (account_id, sha256)
);
