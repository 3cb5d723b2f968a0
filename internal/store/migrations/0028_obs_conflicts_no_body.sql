-- obs_conflicts keeps, of each conflict, that it is one and whether it is
-- open: its values and the reports that gave them are its group's state's
-- (obs_groups), its resolution is in resolutions, and ObsConflicts puts
-- them together when a conflict is read. The body each row held (the
-- conflict as JSON) was rewritten whenever a report joined a conflict: a
-- tenth of the intake's statements' time on PostgreSQL (issue 9). A
-- vigil from before this migration reads bodies, and refuses to start on
-- this schema (it is newer than it knows).
ALTER TABLE obs_conflicts DROP COLUMN body;
