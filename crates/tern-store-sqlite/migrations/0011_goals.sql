-- Which message a tracked link belongs to: a triggered campaign sends one contact several.
ALTER TABLE links ADD COLUMN message_id INTEGER;
UPDATE links SET message_id = (SELECT m.id FROM messages m WHERE m.campaign_id = links.campaign_id
    AND m.contact_id = links.contact_id AND m.trigger_key = '');
-- A triggered campaign's links: the contact's message whose text holds the code.
UPDATE links SET message_id = (SELECT m.id FROM messages m WHERE m.campaign_id = links.campaign_id
    AND m.contact_id = links.contact_id AND m.body LIKE '%/l/' || links.code || '%'
    ORDER BY m.id LIMIT 1)
WHERE message_id IS NULL AND contact_id IS NOT NULL;
CREATE INDEX links_message ON links (message_id);

-- Each hit's facts, kept so that a changed bot rule applies to the past too. Hits recorded
-- before these columns count as GET requests with an Accept-Language header.
ALTER TABLE clicks ADD COLUMN message_id INTEGER;
ALTER TABLE clicks ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clicks ADD COLUMN accept_language INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clicks ADD COLUMN address TEXT;
UPDATE clicks SET message_id = (SELECT l.message_id FROM links l WHERE l.code = clicks.code);
CREATE INDEX clicks_message ON clicks (message_id);
-- Bursts: an address's hits around a moment, whichever campaign they were on.
CREATE INDEX clicks_address ON clicks (address, clicked_at);

-- When the carrier's receipt said delivered: where a goal's window starts, and a hit sooner than
-- a person could tap is no person's.
ALTER TABLE messages ADD COLUMN delivered_at INTEGER;

-- Each status the provider reported for a message, with when it arrived.
CREATE TABLE message_statuses (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    error_code INTEGER,
    at INTEGER NOT NULL,
    PRIMARY KEY (message_id, status)
);

-- A goal's events are found by name and time, not by scanning an account's events.
CREATE INDEX events_goal ON events (account_id, name, occurred_at);

-- A campaign's figures by reason and error code are read from this index alone.
DROP INDEX messages_campaign_state;
CREATE INDEX messages_campaign_figures ON messages (campaign_id, test, state, provider_status, reason, error_code);
