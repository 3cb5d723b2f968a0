-- Photos observers take with their reports (the protocol posted at the
-- station, an incident). A protocol's photo is published with the observer
-- protocol version the same report created (protocols.report_id); other
-- photos stay internal with their report.
ALTER TABLE protocols ADD COLUMN report_id BIGINT;

CREATE TABLE photos (
    id {{id}},
    org_id BIGINT NOT NULL,
    election_id BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    question TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data {{blob}} NOT NULL,
    received TEXT NOT NULL,
    UNIQUE (report_id, file_name)
);
CREATE INDEX photos_report ON photos (report_id);
