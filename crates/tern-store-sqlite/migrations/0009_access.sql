-- A re-subscription after an opt-out carries a proof of new consent (how, when, where): kept
-- with the change, as JSON.
ALTER TABLE consent_changes ADD COLUMN proof TEXT;

-- Settings change only from the revision they were read at (the API's ETag).
ALTER TABLE account_settings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- Rows whose re-subscription an import refused because the contact had opted out.
ALTER TABLE imports ADD COLUMN consent_kept INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN consent_kept_lines TEXT NOT NULL DEFAULT '[]';

-- Panel roles. Users from before roles existed administered their account alone.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';

-- Invitations: a one-time link, kept as a hash, that lets its holder choose a password.
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX invites_account ON invites (account_id);

-- Failed sign-ins in a row, per e-mail and per address, and until when they must wait.
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL,
    last_at INTEGER NOT NULL
);

-- Who changed what and when: settings, consent, users, keys, launches.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);

-- Test sends are limited per account and hour: counted from this index.
CREATE INDEX messages_test_account ON messages (account_id, due_at) WHERE test = 1;

-- Numbers that opted out, per account, with the latest opt-out's time: an opt-out outlives its
-- contact (deleted, or moved to another number), so that no new contact with the number is
-- subscribed without the number's own START or a proof newer than the opt-out.
CREATE TABLE opt_outs (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (account_id, phone)
);
INSERT INTO opt_outs (account_id, phone, at)
    SELECT account_id, phone, COALESCE(consent_changed_at, updated_at) FROM contacts
    WHERE consent = 'unsubscribed' AND phone IS NOT NULL;
