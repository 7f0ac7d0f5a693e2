CREATE TABLE media (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    token TEXT NOT NULL CONSTRAINT media_token_key UNIQUE,
    format TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    original_bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT,
    created_at INTEGER NOT NULL,
    CONSTRAINT media_account_sha256_key UNIQUE (account_id, sha256)
);
