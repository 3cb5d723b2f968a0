-- The change feed (store/changes.go): per election, a sequence number that
-- every committed change to its data advances, inside the change's own
-- transaction. The row with kind '' holds the election's counter; the row of
-- a kind holds the counter's value at the last change of that kind (the
-- portal follows protocols, configuration and photos, the dashboard
-- reports and resolutions). Election 0 holds the changes that belong to no
-- election (users, tokens). No foreign key: a deleted election's last
-- change must stay readable.
CREATE TABLE changes (
    election_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (election_id, kind)
);
