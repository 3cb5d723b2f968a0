-- obs_clusters: a row for each cluster, node and phase, with every item's
-- counts in one text, without foreign keys, its text keys compared byte by
-- byte (issue 9).
--
-- At a national election's shape (teams of observers, each at a few
-- stations) a report moved its team's counts at every node above its
-- station for every item its form counts: with a row per item, eighteen
-- rows a report after a warm-up and thirty-six for a new unit, 43 % of
-- PostgreSQL's statement time. A row per cluster, node and phase holds
-- "item units hits" for each item in byte order, joined by "|" (the text
-- store.formatClusterSums writes): three rows a new unit.
--
-- PostgreSQL checked both foreign keys of each new row with a trigger,
-- 40 % of the statement's time. The table is derived data, read only by
-- the writers of the aggregates: its rows are written only beside the raw
-- rows they are derived from (reports, resolutions, deployments), whose
-- own keys refuse a deleted election; an election's rows are deleted with
-- it explicitly (obsDeleteElection, under the aggregates' exclusive
-- lock), and organisations are never deleted.
--
-- Every upsert descends the primary key comparing the cluster's name: on
-- PostgreSQL the text keys are now compared byte by byte, as SQLite
-- compares them, not by the database's locale. An upsert of 30,000
-- existing rows took about 40 % less time (a C.UTF-8 database; more with
-- a locale such as en_US.UTF-8), of 30,000 new rows about 15 %. Nothing
-- reads the table in an order.
--
-- The same text rebuilds the table on both engines (SQLite cannot drop a
-- constraint), the rows of a cluster's items joined as formatClusterSums
-- joins them.
CREATE TABLE obs_clusters_new (
    org_id BIGINT NOT NULL,
    election_id BIGINT NOT NULL,
    cluster {{text_c}} NOT NULL,
    node_id BIGINT NOT NULL,
    phase {{text_c}} NOT NULL,
    sums TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, cluster, node_id, phase)
);
INSERT INTO obs_clusters_new (org_id, election_id, cluster, node_id, phase, sums)
    SELECT org_id, election_id, cluster, node_id, phase,
        {{string_agg}}(item || ' ' || n || ' ' || x, '|' ORDER BY item {{collate_c}})
    FROM obs_clusters WHERE n <> 0
    GROUP BY org_id, election_id, cluster, node_id, phase;
DROP TABLE obs_clusters;
ALTER TABLE obs_clusters_new RENAME TO obs_clusters;
{{pg_only}}ALTER INDEX obs_clusters_new_pkey RENAME TO obs_clusters_pkey;
{{pg_only}}ALTER TABLE obs_clusters SET (fillfactor = 75);
