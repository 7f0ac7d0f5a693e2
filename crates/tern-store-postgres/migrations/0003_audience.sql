CREATE TABLE contacts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    external_id TEXT,
    phone TEXT,
    country TEXT,
    attributes JSONB NOT NULL,
    consent TEXT NOT NULL,
    consent_source TEXT,
    consent_changed_at BIGINT,
    timezone TEXT,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (account_id, external_id);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (account_id, phone);
-- Walks an account's contacts in id order (listing, segment streaming).
CREATE INDEX contacts_account ON contacts (account_id, id);

CREATE TABLE consent_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    consent TEXT NOT NULL,
    source TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX consent_changes_contact ON consent_changes (contact_id);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    anonymous_id TEXT,
    message_id TEXT,
    name TEXT NOT NULL,
    properties JSONB NOT NULL,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_message_id_key ON events (account_id, message_id);
-- Segment conditions ask "did this contact do X since T": led by the contact, not the name.
CREATE INDEX events_contact_name_time ON events (contact_id, name, occurred_at);
CREATE INDEX events_anonymous ON events (account_id, anonymous_id) WHERE contact_id IS NULL;

CREATE TABLE carts (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    cart TEXT NOT NULL,
    status TEXT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT segments_name_key UNIQUE (account_id, name)
);

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    bytes_total BIGINT NOT NULL,
    bytes_done BIGINT NOT NULL,
    rows_done BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    rejected_rows TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX imports_account ON imports (account_id, created_at);
