-- Results aggregates, maintained in the transaction that commits protocols
-- (store/aggregates.go) and recomputed from the raw rows by `vigil rebuild`.
-- No foreign keys, as for areas and protocols (0001): they are written
-- set-wise by the hundred thousand, and DeleteElection removes them.

-- The version of each (area, source) that counts: the highest version.
-- flags has one bit per failed per-protocol control (aggregates.go,
-- flagCodes), under the election's tolerances when it was last computed.
CREATE TABLE protocol_current (
    area_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    election_id BIGINT NOT NULL,
    protocol_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    station INTEGER NOT NULL,
    flags BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_id, source)
);
CREATE INDEX protocol_current_election ON protocol_current (election_id, source, area_id);

-- Per area above the stations (every level) and source, the sums over the
-- stations under it of their current protocol of that source (a station's
-- own numbers are its current protocol's, not repeated here): how many stations, each
-- figure's sum and how many stations state it (_n; ballots issued derived
-- from its parts where not stated, as tally does), ballots cast (valid +
-- invalid, else ballots in the box), and per control code how many stations
-- fail it. The pseudo-source '*' carries differs: stations under the area
-- whose current protocols of different sources disagree.
CREATE TABLE result_areas (
    area_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    election_id BIGINT NOT NULL,
    stations BIGINT NOT NULL DEFAULT 0,
    registered BIGINT NOT NULL DEFAULT 0,
    registered_n BIGINT NOT NULL DEFAULT 0,
    registered_supplementary BIGINT NOT NULL DEFAULT 0,
    registered_supplementary_n BIGINT NOT NULL DEFAULT 0,
    ballots_received BIGINT NOT NULL DEFAULT 0,
    ballots_received_n BIGINT NOT NULL DEFAULT 0,
    ballots_issued_early BIGINT NOT NULL DEFAULT 0,
    ballots_issued_early_n BIGINT NOT NULL DEFAULT 0,
    ballots_issued_station BIGINT NOT NULL DEFAULT 0,
    ballots_issued_station_n BIGINT NOT NULL DEFAULT 0,
    ballots_issued_mobile BIGINT NOT NULL DEFAULT 0,
    ballots_issued_mobile_n BIGINT NOT NULL DEFAULT 0,
    ballots_issued BIGINT NOT NULL DEFAULT 0,
    ballots_issued_n BIGINT NOT NULL DEFAULT 0,
    ballots_cancelled BIGINT NOT NULL DEFAULT 0,
    ballots_cancelled_n BIGINT NOT NULL DEFAULT 0,
    ballots_lost BIGINT NOT NULL DEFAULT 0,
    ballots_lost_n BIGINT NOT NULL DEFAULT 0,
    ballots_in_box BIGINT NOT NULL DEFAULT 0,
    ballots_in_box_n BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    invalid_n BIGINT NOT NULL DEFAULT 0,
    valid BIGINT NOT NULL DEFAULT 0,
    valid_n BIGINT NOT NULL DEFAULT 0,
    ballots_cast BIGINT NOT NULL DEFAULT 0,
    ballots_cast_n BIGINT NOT NULL DEFAULT 0,
    flag_missing_figure BIGINT NOT NULL DEFAULT 0,
    flag_negative_figure BIGINT NOT NULL DEFAULT 0,
    flag_valid_invalid_box BIGINT NOT NULL DEFAULT 0,
    flag_box_le_issued BIGINT NOT NULL DEFAULT 0,
    flag_issued_le_registered BIGINT NOT NULL DEFAULT 0,
    flag_turnout_le_100 BIGINT NOT NULL DEFAULT 0,
    flag_received_balance BIGINT NOT NULL DEFAULT 0,
    flag_issued_parts_sum BIGINT NOT NULL DEFAULT 0,
    flag_options_sum_valid BIGINT NOT NULL DEFAULT 0,
    differs BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_id, source)
);
CREATE INDEX result_areas_election ON result_areas (election_id, source);

-- Each option's votes per area and source, and how many stations give a
-- number for that option.
CREATE TABLE result_votes (
    area_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    election_id BIGINT NOT NULL,
    votes BIGINT NOT NULL DEFAULT 0,
    stations BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (area_id, source, position)
);
CREATE INDEX result_votes_election ON result_votes (election_id);

-- The stations whose current protocols of different sources disagree.
CREATE TABLE station_differs (
    area_id BIGINT PRIMARY KEY,
    election_id BIGINT NOT NULL
);
CREATE INDEX station_differs_election ON station_differs (election_id);

-- Per election: a counter that every change of the aggregates increments
-- (the caches' stamp), and the number of options and the configuration the
-- flags were computed with (a change recomputes them).
CREATE TABLE result_elections (
    election_id BIGINT PRIMARY KEY,
    changes BIGINT NOT NULL DEFAULT 0,
    options INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL DEFAULT ''
);
