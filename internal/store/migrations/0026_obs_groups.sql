-- obs_groups: each group's usable reports folded (observe/agg.State, in
-- the text State.Encode writes): per question the answers given and by
-- which reports, per visit the answers its reports agree on. A report that
-- arrives is folded into its group's state instead of every report of the
-- group being read and decoded again (issue 9). usable is the state's
-- count of usable reports: a station's groups must add up to its
-- obs_stations.usable for their states to be folded into (a state left
-- behind by a writer that kept none is not trusted). A group without a row
-- (no usable report, a database from before this table) is computed from
-- its reports, which writes the row: an upgraded database gets its states
-- as reports arrive, or at once from `vigil rebuild`.
CREATE TABLE obs_groups (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    area_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    usable BIGINT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, area_id, phase)
);
