-- The observation aggregates: what findings, coverage, conflicts and the
-- review queues count, kept up to date in the transaction that commits a
-- report, a review decision, a resolution or a deployment, so that a page
-- reads O(rows shown) instead of every report (docs/observation.md,
-- "Aggregates"). All of it is derived: store.RebuildObservation recomputes
-- it from reports, resolutions, deployments and the roster, and runs when
-- obs_state says the aggregates are not built (a database from before
-- this migration).
--
-- A node is an area above a report's station (its region, district…;
-- node 0 is the whole country), or a non-station area itself (a
-- commission's tabulation report).

-- obs_stats: per node, phase and item ("*" every observation, "overall"
-- negative assessments, "ind:NAME" a key indicator, an incident category
-- in phase "incident"), the sufficient statistics of the share: n units,
-- x hits, c clusters, and Σx_c², Σx_c·n_c, Σn_c² over clusters.
CREATE TABLE obs_stats (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    node_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    item TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    x BIGINT NOT NULL DEFAULT 0,
    c BIGINT NOT NULL DEFAULT 0,
    sxx BIGINT NOT NULL DEFAULT 0,
    sxn BIGINT NOT NULL DEFAULT 0,
    snn BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, election_id, node_id, phase, item)
);

-- obs_clusters: each cluster's (team's) units and hits per node, phase
-- and item: what a change to one cluster needs to update obs_stats. Read
-- only by the writers.
CREATE TABLE obs_clusters (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    cluster TEXT NOT NULL,
    node_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    item TEXT NOT NULL,
    n BIGINT NOT NULL,
    x BIGINT NOT NULL,
    PRIMARY KEY (org_id, election_id, cluster, node_id, phase, item)
);

-- obs_nodes: per node, coverage (deployed stations, those reported, those
-- reported with an open conflict) and the lengths of the review lists.
CREATE TABLE obs_nodes (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    node_id BIGINT NOT NULL,
    deployed BIGINT NOT NULL DEFAULT 0,
    reported BIGINT NOT NULL DEFAULT 0,
    conflicted BIGINT NOT NULL DEFAULT 0,
    incidents BIGINT NOT NULL DEFAULT 0,
    queued BIGINT NOT NULL DEFAULT 0,
    quarantined BIGINT NOT NULL DEFAULT 0,
    conflicts BIGINT NOT NULL DEFAULT 0,
    open_conflicts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, election_id, node_id)
);

-- obs_stations: per area with reports or in the deployment, whether it is
-- deployed, its usable reports and its open conflicts.
CREATE TABLE obs_stations (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    area_id BIGINT NOT NULL,
    deployed INTEGER NOT NULL DEFAULT 0,
    usable BIGINT NOT NULL DEFAULT 0,
    open_conflicts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, election_id, area_id)
);

-- obs_units: every observation (the reports of one visit merged; an
-- incident report) with its cluster and what it counts (JSON item → hit),
-- keyed by its first report: what a group contributed, to take away when
-- the group changes, and the reports behind each figure.
CREATE TABLE obs_units (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    first_report BIGINT NOT NULL,
    area_id BIGINT NOT NULL,
    region_id BIGINT NOT NULL, -- the level-1 area above it (0: none)
    phase TEXT NOT NULL,
    cluster TEXT NOT NULL,
    reports TEXT NOT NULL,
    hits TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, first_report)
);
CREATE INDEX obs_units_area ON obs_units (org_id, election_id, area_id, phase);

-- obs_conflicts: the questions the usable reports of one station and
-- phase answer differently (observe/agg.Conflict as JSON).
CREATE TABLE obs_conflicts (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    area_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    question TEXT NOT NULL,
    unresolved INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, area_id, phase, question)
);

-- obs_anc: the nodes above each area that has reports (itself included
-- when it is not a station), for lists narrowed to a coordinator's area.
CREATE TABLE obs_anc (
    area_id BIGINT NOT NULL,
    node_id BIGINT NOT NULL,
    PRIMARY KEY (area_id, node_id)
);
CREATE INDEX obs_anc_node ON obs_anc (node_id, area_id);

-- obs_changes: a counter per organisation and election, moved by every
-- transaction that changes its aggregates: live pages read it (one row)
-- and re-read the aggregates only when it moved.
CREATE TABLE obs_changes (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_id, election_id)
);

CREATE TABLE obs_state (
    id INTEGER PRIMARY KEY,
    built INTEGER NOT NULL
);
INSERT INTO obs_state (id, built) VALUES (1, 0);

-- The review lists, read in id order a page at a time.
CREATE INDEX reports_review ON reports (org_id, election_id, status, id);
CREATE INDEX reports_phase ON reports (org_id, election_id, phase, id);
