-- An active Cart Reminder or Welcome campaign's rule, read in the same transaction as the cart
-- change or consent change that fires it: one row while the campaign is active or paused.
CREATE TABLE trigger_rules (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    delay_ms INTEGER NOT NULL,
    -- How long after it falls due a trigger may still be sent.
    lateness_ms INTEGER NOT NULL,
    activated_at INTEGER NOT NULL,
    ends_at INTEGER,
    version INTEGER NOT NULL
);
CREATE INDEX trigger_rules_account ON trigger_rules (account_id, kind);

-- What each activation or edit of an active campaign fixed (its snapshot): a trigger is sent
-- from the version it was found under.
CREATE TABLE campaign_versions (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, version)
);

-- Each time a campaign's trigger fired for a contact: once per campaign, contact and key (the
-- cart's occurrence, or `welcome`), whatever retries or nodes do.
CREATE TABLE triggers (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    trigger_key TEXT NOT NULL,
    cause TEXT NOT NULL,
    version INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    message_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT triggers_key UNIQUE (campaign_id, contact_id, trigger_key)
);
-- Due triggers are found by their due time, never by scanning contacts or carts.
CREATE INDEX triggers_due ON triggers (due_at, id) WHERE state = 'waiting';
CREATE INDEX triggers_contact ON triggers (contact_id, id);
CREATE INDEX triggers_campaign ON triggers (campaign_id, id);
-- A reminder is re-checked for an order when it is claimed, from its message.
CREATE INDEX triggers_message ON triggers (message_id) WHERE message_id IS NOT NULL;

-- A triggered campaign sends a contact one message per trigger: the recipient's key gains the
-- trigger (empty for a Single campaign, which stays one message per contact).
ALTER TABLE messages ADD COLUMN trigger_key TEXT NOT NULL DEFAULT '';
-- After this moment the message is not sent (a reminder's lateness budget).
ALTER TABLE messages ADD COLUMN expires_at INTEGER;
DROP INDEX messages_recipient;
CREATE UNIQUE INDEX messages_recipient ON messages (campaign_id, contact_id, trigger_key);
