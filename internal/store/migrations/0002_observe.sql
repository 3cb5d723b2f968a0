-- Observation: organisations and their people, the roster, teams, the
-- deployment, forms as data, reports from every channel, quality control,
-- conflicts, incidents and the audit log. Every row that holds a mission's
-- data carries org_id: organisations on one installation never see each
-- other's data. Times are UTC RFC 3339 text; booleans INTEGER 0/1.
-- Elections and areas are referenced without foreign keys, as the results
-- core does (a PostgreSQL bulk load would pay a trigger per row, and an
-- election is deleted and re-imported whole): DeleteObservation removes an
-- election's observation rows.

CREATE TABLE organisations (
    id {{id}},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'domestic',
    created TEXT NOT NULL
);

-- role: administrator, analyst, coordinator, observer. area_path (a JSON
-- array of names) scopes a coordinator; observer_id ties an observer's login
-- to the roster.
CREATE TABLE users (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    area_path TEXT NOT NULL DEFAULT '[]',
    observer_id BIGINT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);

-- Only the SHA-256 of a session token is stored: a stolen database copy
-- does not log anyone in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);

CREATE TABLE teams (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    area_path TEXT NOT NULL DEFAULT '[]',
    UNIQUE (org_id, name)
);

CREATE TABLE observers (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    team_id BIGINT REFERENCES teams(id),
    area_path TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX observers_phone ON observers (phone);

-- API tokens: per observer (or per user), revocable, stored hashed.
CREATE TABLE api_tokens (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    user_id BIGINT REFERENCES users(id),
    observer_id BIGINT REFERENCES observers(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    revoked TEXT NOT NULL DEFAULT ''
);

-- A deployment: a reproducible draw of stations (and the district
-- commissions above them) for one organisation and election.
CREATE TABLE deployments (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL,
    seed TEXT NOT NULL,
    design TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);

CREATE TABLE deployment_stations (
    deployment_id BIGINT NOT NULL REFERENCES deployments(id),
    area_id BIGINT NOT NULL,
    stratum TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, area_id)
);

CREATE TABLE assignments (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL REFERENCES teams(id),
    area_id BIGINT NOT NULL,
    UNIQUE (team_id, area_id)
);
CREATE INDEX assignments_area ON assignments (org_id, area_id);

-- Forms as data: the form's JSON (package form) by key and version.
CREATE TABLE forms (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    form_key TEXT NOT NULL,
    version TEXT NOT NULL,
    phase TEXT NOT NULL,
    body TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    UNIQUE (org_id, form_key, version)
);

-- One row per report, whichever channel brought it. client_id is made by
-- the client before sending: a resent report hits the UNIQUE and is stored
-- once. status: new, flagged, verified, quarantined.
CREATE TABLE reports (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL,
    form_id BIGINT NOT NULL REFERENCES forms(id),
    phase TEXT NOT NULL,
    area_id BIGINT,
    observer_id BIGINT REFERENCES observers(id),
    user_id BIGINT REFERENCES users(id),
    channel TEXT NOT NULL,
    client_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    qc TEXT NOT NULL DEFAULT '[]',
    triage TEXT NOT NULL DEFAULT '',
    submitted TEXT NOT NULL,
    received TEXT NOT NULL,
    UNIQUE (org_id, client_id)
);
CREATE INDEX reports_area ON reports (org_id, election_id, area_id, phase);

-- Coded SMS: the provider's message id deduplicates webhook retries.
CREATE TABLE sms_messages (
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL,
    org_id BIGINT,
    sender TEXT NOT NULL,
    body TEXT NOT NULL,
    report_id BIGINT,
    reply TEXT NOT NULL,
    received TEXT NOT NULL,
    PRIMARY KEY (provider, message_id)
);

CREATE TABLE qc_rules (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    form_key TEXT NOT NULL,
    name TEXT NOT NULL,
    expr TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT 'flag',
    UNIQUE (org_id, form_key, name)
);

-- A coordinator's resolution of a per-field conflict between reports of
-- one station and phase.
CREATE TABLE resolutions (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    election_id BIGINT NOT NULL,
    area_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    question TEXT NOT NULL,
    value TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    created TEXT NOT NULL,
    PRIMARY KEY (org_id, election_id, area_id, phase, question)
);

CREATE TABLE audit (
    id {{id}},
    org_id BIGINT,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
);
CREATE INDEX audit_org ON audit (org_id, id);
