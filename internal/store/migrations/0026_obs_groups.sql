-- obs_groups: each group's usable reports folded (observe/agg.State, in
-- the text State.Encode writes): per question the answers given and by
-- which reports, per visit the answers its reports agree on. A report that
-- arrives is folded into its group's state instead of every report of the
-- group being read and decoded again (issue 9). A group without a row (a
-- database from before this table, a group with no usable report) is
-- computed from its reports, which writes the row.
CREATE TABLE obs_groups (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    area_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, area_id, phase)
);
