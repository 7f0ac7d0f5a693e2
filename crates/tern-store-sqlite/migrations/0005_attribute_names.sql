-- Every attribute name some contact of the account has had: what message templates may read.
CREATE TABLE attribute_names (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);
INSERT OR IGNORE INTO attribute_names (account_id, name)
SELECT DISTINCT c.account_id, j.key FROM contacts c, json_each(c.attributes) j;
