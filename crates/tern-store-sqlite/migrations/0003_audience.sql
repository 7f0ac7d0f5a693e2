CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    external_id TEXT,
    phone TEXT,
    country TEXT,
    attributes TEXT NOT NULL,
    consent TEXT NOT NULL,
    consent_source TEXT,
    consent_changed_at INTEGER,
    timezone TEXT,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (account_id, external_id);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (account_id, phone);
-- SQLite appends the rowid: this index also walks an account's contacts in id order.
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE consent_changes (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    consent TEXT NOT NULL,
    source TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE INDEX consent_changes_contact ON consent_changes (contact_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    anonymous_id TEXT,
    message_id TEXT,
    name TEXT NOT NULL,
    properties TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_message_id_key ON events (account_id, message_id);
-- Segment conditions ask "did this contact do X since T": led by the contact, not the name.
CREATE INDEX events_contact_name_time ON events (contact_id, name, occurred_at);
CREATE INDEX events_anonymous ON events (account_id, anonymous_id) WHERE contact_id IS NULL;

CREATE TABLE carts (
    contact_id INTEGER PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    cart TEXT NOT NULL,
    status TEXT NOT NULL,
    total REAL NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT segments_name_key UNIQUE (account_id, name)
);

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    bytes_total INTEGER NOT NULL,
    bytes_done INTEGER NOT NULL,
    rows_done INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    rejected_rows TEXT NOT NULL,
    error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX imports_account ON imports (account_id, created_at);
