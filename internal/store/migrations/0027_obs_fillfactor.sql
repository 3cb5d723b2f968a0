-- On PostgreSQL, room on each page of the aggregates that every report
-- rewrites, so that a row's new version goes on its own page (a HOT
-- update: no new index entry, the old version pruned with the page rather
-- than left for VACUUM). Full pages sent 71 % of obs_groups' updates (a
-- station's state, about 1.3 KB, rewritten at each of its reports) to
-- other pages, each with a new entry in the primary key (issue 9). SQLite
-- rewrites a row in place and has no such setting: there these lines are
-- comments.
{{pg_only}}ALTER TABLE obs_groups SET (fillfactor = 50);
{{pg_only}}ALTER TABLE obs_conflicts SET (fillfactor = 75);
{{pg_only}}ALTER TABLE obs_units SET (fillfactor = 75);
{{pg_only}}ALTER TABLE obs_clusters SET (fillfactor = 75);
{{pg_only}}ALTER TABLE obs_stats SET (fillfactor = 75);
