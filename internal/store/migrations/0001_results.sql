-- The results core: elections, their options, the area hierarchy down to
-- polling stations, import batches and every version of every protocol.
-- Times are UTC RFC 3339 text, which sorts and reads the same in both engines.

CREATE TABLE elections (
    id {{id}},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    country TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);

CREATE TABLE options (
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (election_id, position),
    UNIQUE (election_id, name)
);

-- path is the JSON array of names from level 1 down; the root (level 0) is
-- the whole election with path [].
--
-- Areas and protocols are bulk-loaded by the hundred thousand, and on
-- PostgreSQL a foreign key costs a trigger per row (0.7 s of a 1.7 s import
-- of Russia 2018). So their references are not declared as foreign keys:
-- the import checks them itself, set-wise, before it commits (every new
-- area's parent and every new protocol's area must exist, in the same
-- election), the other writers look the area up before they write, and
-- DeleteElection removes an election's rows explicitly.
CREATE TABLE areas (
    id {{id}},
    election_id BIGINT NOT NULL,
    parent_id BIGINT,
    level INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    station INTEGER NOT NULL DEFAULT 0,
    attrs TEXT NOT NULL DEFAULT '{}',
    UNIQUE (election_id, path)
);
CREATE INDEX areas_parent ON areas (parent_id);

CREATE TABLE batches (
    id {{id}},
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);

-- One row per version of a protocol. A figure the source does not give is
-- NULL, not zero. votes is a JSON array by option position.
CREATE TABLE protocols (
    id {{id}},
    election_id BIGINT NOT NULL,
    area_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    version INTEGER NOT NULL,
    batch_id BIGINT,
    registered BIGINT,
    registered_supplementary BIGINT,
    ballots_received BIGINT,
    ballots_issued_early BIGINT,
    ballots_issued_station BIGINT,
    ballots_issued_mobile BIGINT,
    ballots_issued BIGINT,
    ballots_cancelled BIGINT,
    ballots_lost BIGINT,
    ballots_in_box BIGINT,
    invalid BIGINT,
    valid BIGINT,
    votes TEXT NOT NULL,
    received TEXT NOT NULL,
    UNIQUE (area_id, source, version)
);
CREATE INDEX protocols_election_source ON protocols (election_id, source);
