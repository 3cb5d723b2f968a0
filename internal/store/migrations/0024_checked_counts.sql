-- Per area and source, how many stations under it each per-protocol control
-- ran on (election.Report's "checked": a control is skipped when a figure it
-- needs is absent), beside flag_* (how many fail it): the flags API's
-- report read from the root's rows instead of a pass over every protocol
-- (issue 9). protocol_current.flags carries them as bits 32 + i; the flag
-- settings' key changed with them (flagConfig.V), so opening the database
-- recomputes every election's flags and these counts once
-- (store.refreshStaleFlags).
ALTER TABLE result_areas ADD COLUMN checked_missing_figure BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_negative_figure BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_valid_invalid_box BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_box_le_issued BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_issued_le_registered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_turnout_le_100 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_received_balance BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_issued_parts_sum BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_areas ADD COLUMN checked_options_sum_valid BIGINT NOT NULL DEFAULT 0;
