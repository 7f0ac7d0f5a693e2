-- Every attribute name some contact of the account has had: what message templates may read.
CREATE TABLE attribute_names (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);
INSERT INTO attribute_names (account_id, name)
SELECT DISTINCT account_id, jsonb_object_keys(attributes) FROM contacts
ON CONFLICT DO NOTHING;
