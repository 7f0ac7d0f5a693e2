-- A launched campaign's run: how it sends and how far its audience is written.
CREATE TABLE campaign_runs (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    plan TEXT NOT NULL,
    send_at INTEGER NOT NULL,
    cursor INTEGER,
    materialised INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);

-- Every message a campaign sends or skips; `state` moves queued → sending → sent | failed.
-- Erasing a contact erases their messages and links.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    test INTEGER NOT NULL,
    to_phone TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_rate INTEGER NOT NULL,
    body TEXT NOT NULL,
    media TEXT NOT NULL,
    units INTEGER NOT NULL,
    timezone TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    error_code INTEGER,
    error_message TEXT,
    provider_sid TEXT,
    provider_status TEXT,
    attempts INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    lease_until INTEGER,
    claimed_at INTEGER,
    sent_at INTEGER,
    updated_at INTEGER NOT NULL
);
-- One message per recipient and campaign (test messages have no contact).
CREATE UNIQUE INDEX messages_recipient ON messages (campaign_id, contact_id);
-- Claims take due messages in (due_at, id) order; with id in the index no sort is needed.
CREATE INDEX messages_due ON messages (state, due_at, id);
-- Whether a campaign has anything left to send, and its headline figures, from the index alone.
CREATE INDEX messages_campaign_state ON messages (campaign_id, test, state, provider_status);
CREATE INDEX messages_lease ON messages (state, lease_until);
CREATE INDEX messages_sid ON messages (provider_sid) WHERE provider_sid IS NOT NULL;
CREATE INDEX messages_contact ON messages (contact_id, sent_at);

CREATE TABLE links (
    code TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX links_contact ON links (contact_id);

CREATE TABLE clicks (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL REFERENCES links (code) ON DELETE CASCADE,
    campaign_id TEXT NOT NULL,
    clicked_at INTEGER NOT NULL,
    user_agent TEXT
);
CREATE INDEX clicks_campaign ON clicks (campaign_id);
CREATE INDEX clicks_code ON clicks (code);

-- The current second's use of each rate limit, shared by every node.
CREATE TABLE rate_windows (
    name TEXT PRIMARY KEY,
    second INTEGER NOT NULL,
    used INTEGER NOT NULL
);

-- Status callbacks that arrived before their send was recorded.
CREATE TABLE early_statuses (
    sid TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    error_message TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (sid, status)
);
