-- obs_stats: a row for each node and phase, with every item's statistics
-- in one text, without foreign keys, its phase compared byte by byte
-- (issue 9).
--
-- A row per node, phase and item was seven rows a report at a national
-- election's shape, and the country's, the regions' and the districts'
-- rows were moved by nearly every commit: PostgreSQL's largest statement
-- (about a quarter of its statement time), each row waiting for the
-- other writer's commit at its lock. A row per node and phase holds
-- "item n x c sxx sxn snn" for each item, the items escaped (% as %25, a
-- space as %20, a bar as %7C: an incident's category is whatever an
-- observer sent) and in byte order of the escaped items, joined by "|"
-- (the text store.formatStatSums writes); an item whose sums are all zero
-- (a count that went up and down again) is left out, and a row without
-- items is no row.
--
-- As obs_clusters (0029): derived data written only beside the raw rows
-- it is derived from, deleted with its election explicitly
-- (obsDeleteElection), so without foreign keys.
CREATE TABLE obs_stats_new (
    org_id BIGINT NOT NULL,
    election_id BIGINT NOT NULL,
    node_id BIGINT NOT NULL,
    phase {{text_c}} NOT NULL,
    sums TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, node_id, phase)
);
INSERT INTO obs_stats_new (org_id, election_id, node_id, phase, sums)
    SELECT org_id, election_id, node_id, phase,
        {{string_agg}}(esc || ' ' || n || ' ' || x || ' ' || c || ' ' || sxx || ' ' || sxn || ' ' || snn, '|' ORDER BY esc {{collate_c}})
    FROM (SELECT org_id, election_id, node_id, phase, replace(replace(replace(item, '%', '%25'), ' ', '%20'), '|', '%7C') AS esc,
            n, x, c, sxx, sxn, snn
        FROM obs_stats WHERE n <> 0 OR x <> 0 OR c <> 0 OR sxx <> 0 OR sxn <> 0 OR snn <> 0) s
    GROUP BY org_id, election_id, node_id, phase;
DROP TABLE obs_stats;
ALTER TABLE obs_stats_new RENAME TO obs_stats;
{{pg_only}}ALTER INDEX obs_stats_new_pkey RENAME TO obs_stats_pkey;
{{pg_only}}ALTER TABLE obs_stats SET (fillfactor = 75);
