-- The log's frontier: the roots of the complete subtrees at the right edge
-- of the tree (one per bit set in its size, 32 bytes each, after the size
-- they belong to as 8 bytes big-endian), kept in the row whose lock
-- serialises appends. An append reads them with the lock and writes the
-- new ones with the size, so it reads no stored hash from log_leaves;
-- a frontier whose size is not the row's (a database from before this
-- column, a hand edit) is recomputed from log_leaves.
ALTER TABLE log_state ADD COLUMN frontier {{blob}};
