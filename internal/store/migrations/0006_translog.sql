-- The transparency log (internal/translog, docs/evidence.md): an
-- append-only RFC 6962 Merkle tree. log_leaves holds each leaf's encoding
-- (hashes and ids, no personal data) with the row it records (ref,
-- "table/id") and, in hashes, the tree hashes appending it completed
-- (tlog's stored hashes of the leaf: its own hash, then one per level
-- whose subtree it closes, 32 bytes each), from which tiles, roots and
-- proofs are read; log_state the tree size, whose row is the lock that
-- serialises appends on PostgreSQL.
-- Every table here must be copied with the rest of the database: a copy
-- without them fails `vigil log audit`.
CREATE TABLE log_leaves (
    idx BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    election_id BIGINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    hashes {{blob}} NOT NULL
);
CREATE INDEX log_leaves_ref ON log_leaves (ref, idx);

CREATE TABLE log_state (
    id INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO log_state (id, size) VALUES (1, 0);

-- Signed checkpoints (C2SP tlog-checkpoint notes), one per tree size.
CREATE TABLE log_checkpoints (
    size BIGINT PRIMARY KEY,
    root TEXT NOT NULL,
    signed TEXT NOT NULL,
    created TEXT NOT NULL
);

-- Witnesses' cosignature lines (C2SP tlog-cosignature) on a checkpoint.
CREATE TABLE log_cosignatures (
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);

-- Official publications captured from the election administration's
-- site (vigil capture / vigil watch): every distinct version of a URL's
-- content, with when it was fetched and whether it changed after the
-- first version was captured.
CREATE TABLE official_captures (
    id {{id}},
    election_id BIGINT NOT NULL DEFAULT 0,
    url TEXT NOT NULL,
    fetched TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    body {{blob}} NOT NULL,
    previous_sha256 TEXT NOT NULL DEFAULT '',
    batch_id BIGINT
);
CREATE INDEX official_captures_url ON official_captures (url, id);
