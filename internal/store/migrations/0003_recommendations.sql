-- Recommendations and their follow-up: the missions that observe a
-- country's elections, their reports, each report's recommendations, the
-- earlier recommendations each repeats (a recommendation's history across
-- electoral cycles), and later reports' assessments of their
-- implementation. Records are named by slug (missions, reports) and by
-- report and number (recommendations), which is how files refer to them.
-- Dates are YYYY-MM-DD text; times UTC RFC 3339 text; booleans INTEGER 0/1.

CREATE TABLE rec_missions (
    id {{id}},
    slug TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    election TEXT NOT NULL DEFAULT '',
    election_date TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rec_missions_country ON rec_missions (country);

CREATE TABLE rec_reports (
    id {{id}},
    mission_id BIGINT NOT NULL REFERENCES rec_missions(id),
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL
);
CREATE INDEX rec_reports_mission ON rec_reports (mission_id);

CREATE TABLE rec_recommendations (
    id {{id}},
    report_id BIGINT NOT NULL REFERENCES rec_reports(id),
    number TEXT NOT NULL,
    text TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    area TEXT NOT NULL,
    addressee TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    UNIQUE (report_id, number)
);

-- recommendation_id repeats the earlier repeats_id.
CREATE TABLE rec_repeats (
    recommendation_id BIGINT NOT NULL REFERENCES rec_recommendations(id),
    repeats_id BIGINT NOT NULL REFERENCES rec_recommendations(id),
    PRIMARY KEY (recommendation_id, repeats_id)
);
CREATE INDEX rec_repeats_back ON rec_repeats (repeats_id);

-- report_id is the assessing (later) report; one assessment per pair.
CREATE TABLE rec_assessments (
    id {{id}},
    recommendation_id BIGINT NOT NULL REFERENCES rec_recommendations(id),
    report_id BIGINT NOT NULL REFERENCES rec_reports(id),
    status TEXT NOT NULL,
    reasoning TEXT NOT NULL DEFAULT '',
    evidence TEXT NOT NULL DEFAULT '',
    proposed INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    UNIQUE (recommendation_id, report_id)
);
CREATE INDEX rec_assessments_report ON rec_assessments (report_id);
