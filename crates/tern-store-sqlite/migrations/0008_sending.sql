-- What a launch fixed: the campaign, its segments, settings and media as they were, so that
-- later edits change nothing of what is sent. Runs launched before this column have none.
ALTER TABLE campaign_runs ADD COLUMN snapshot TEXT;

-- The senders a run's messages go through: claims look for due messages sender by sender, so
-- that a slow sender's backlog is never read while it has no room.
CREATE TABLE run_senders (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    -- The sender's limit in segments per second, as the messages carry it.
    rate INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, sender)
);
INSERT INTO run_senders (campaign_id, sender, rate)
    SELECT campaign_id, sender, MAX(sender_rate) FROM messages
    WHERE test = 0 AND state IN ('queued', 'sending') GROUP BY campaign_id, sender;

-- Due messages of one campaign and sender, in claim order; test messages apart.
CREATE INDEX messages_sender_due ON messages (campaign_id, sender, due_at, id)
    WHERE state = 'queued' AND test = 0;
CREATE INDEX messages_test_due ON messages (due_at, id) WHERE state = 'queued' AND test = 1;
DROP INDEX messages_due;

-- Rate limits as token buckets: each key's next free moment, in microseconds on the
-- database's clock.
DROP TABLE rate_windows;
CREATE TABLE rate_buckets (
    name TEXT PRIMARY KEY,
    free_at INTEGER NOT NULL
);

-- Since when reconciliation has failed to ask the provider about a message: it gives up after
-- a while instead of asking forever.
ALTER TABLE messages ADD COLUMN lookup_failing_since INTEGER;

-- Each account's provider as the dispatchers found it: failures in a row, and while the
-- breaker is open, until when its messages are not claimed.
CREATE TABLE provider_breakers (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    failures INTEGER NOT NULL,
    open_until INTEGER,
    opened INTEGER NOT NULL
);

-- Which secret key seals this database's credentials (a fingerprint, not the key): a node
-- started with another key is refused instead of failing to read them later.
CREATE TABLE installation (
    key_fingerprint TEXT PRIMARY KEY
);
