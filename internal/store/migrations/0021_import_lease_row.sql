-- An import's lease on PostgreSQL is a row, not a session advisory lock
-- (issue 9): behind PgBouncer in transaction mode a session lock is taken on
-- whichever server connection ran that transaction and stays there, held for
-- nobody, while the import's later statements run elsewhere. lease_expires is
-- the server clock (milliseconds since 1970) until which the batch's import
-- counts as alive; the import renews it in every chunk's transaction and from
-- a heartbeat, and a sweeper takes over a pending batch only once it has
-- passed. 0 (a batch made pending by an older vigil) counts as expired.
-- SQLite keeps its lease file (one machine, no pooler).
ALTER TABLE batches ADD COLUMN lease_expires BIGINT NOT NULL DEFAULT 0;
