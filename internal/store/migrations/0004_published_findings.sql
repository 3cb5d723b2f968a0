-- Findings a mission has published: a snapshot of its quantitative
-- findings for an election, frozen at the moment of publication (the
-- Statement of Preliminary Findings quotes them), with the statement
-- rendered as HTML. Reports stay internal; these are public.
CREATE TABLE published_findings (
    id {{id}},
    org_id BIGINT NOT NULL,
    election_id BIGINT NOT NULL,
    published TEXT NOT NULL,
    published_by TEXT NOT NULL,
    findings TEXT NOT NULL,
    statement_html TEXT NOT NULL
);
CREATE INDEX published_findings_election ON published_findings (election_id, id);
