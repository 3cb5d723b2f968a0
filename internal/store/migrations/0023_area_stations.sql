-- Per area above the stations (the root included): how many stations lie
-- under it, with or without a protocol (its frame), and the first of them in
-- the order of Areas (level * 2^40 + id). What a sample's strata need
-- (store.LevelAreas: the dashboard's PVT) without counting a million
-- stations on every cold page (issue 9). Only an import creates stations
-- below the root: its final transaction adds its new stations here
-- (area_stations.go); DeleteElection removes an election's rows; `vigil
-- rebuild` recomputes them. Filled here from the stations already stored.
CREATE TABLE area_stations (
    area_id BIGINT PRIMARY KEY,
    election_id BIGINT NOT NULL,
    stations BIGINT NOT NULL,
    first BIGINT NOT NULL
);
CREATE INDEX area_stations_election ON area_stations (election_id);
WITH RECURSIVE up (area_id, n, f) AS (
    SELECT parent_id, count(*), min(level * 1099511627776 + id) FROM areas
    WHERE station = 1 AND parent_id IS NOT NULL
      AND (batch_id IS NULL OR batch_id NOT IN (SELECT id FROM batches WHERE pending <> ''))
    GROUP BY parent_id
  UNION ALL
    SELECT a.parent_id, up.n, up.f FROM up JOIN areas a ON a.id = up.area_id WHERE a.parent_id IS NOT NULL
)
INSERT INTO area_stations (area_id, election_id, stations, first)
SELECT up.area_id, a.election_id, sum(up.n), min(up.f) FROM up JOIN areas a ON a.id = up.area_id GROUP BY up.area_id, a.election_id;
