-- The current protocols the controls page and the flags API read in full
-- (store.FlaggedProtocols): those failing a control (flags' low 32 bits)
-- and those of the areas above the stations. A partial index, so that
-- finding them costs what they are, not a pass over every protocol of the
-- election (issue 9). SQLite uses it for that query's condition, written
-- the same; PostgreSQL plans that query from its statistics and scans
-- (docs/performance.md).
CREATE INDEX protocol_current_flagged ON protocol_current (election_id) WHERE (flags & 4294967295) <> 0 OR station = 0;
