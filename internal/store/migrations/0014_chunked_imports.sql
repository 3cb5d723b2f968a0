-- Imports write in chunks, each its own short transaction, so that
-- observers' submissions go on while a national file loads (issue 9).
-- Until the import's final transaction, its batch is pending: batches.pending
-- holds the importing process's token ('' once visible), and every reader
-- ignores the protocols, areas and election of a pending batch. batch_id on
-- areas and elections names the import that created them (NULL: created
-- otherwise). A pending batch whose process is gone (a crash, a kill) is
-- swept when a database is next opened (store.SweepImports).
ALTER TABLE batches ADD COLUMN pending TEXT NOT NULL DEFAULT '';
ALTER TABLE areas ADD COLUMN batch_id BIGINT;
ALTER TABLE elections ADD COLUMN batch_id BIGINT;
CREATE INDEX protocols_batch ON protocols (batch_id);
CREATE INDEX areas_batch ON areas (batch_id);
