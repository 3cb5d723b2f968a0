-- The geography of an election: the outline of an area (a GeoJSON
-- MultiPolygon's coordinates, simplified for the web) and the coordinates
-- of a polling station. Loaded by `vigil geo import`; the demo writes its
-- synthetic one the same way. A new import of a level replaces that level.
-- (Numbered after the migrations merged alongside it: 0009_intake, 0010_fixed_width_times.)
CREATE TABLE area_shapes (
    area_id BIGINT PRIMARY KEY REFERENCES areas(id) ON DELETE CASCADE,
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    level INTEGER NOT NULL,
    shape TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '' -- where the boundaries came from; "synthetic" for the demo's
);
CREATE INDEX area_shapes_election ON area_shapes (election_id, level);

CREATE TABLE station_points (
    area_id BIGINT PRIMARY KEY REFERENCES areas(id) ON DELETE CASCADE,
    election_id BIGINT NOT NULL REFERENCES elections(id) ON DELETE CASCADE,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL
);
CREATE INDEX station_points_election ON station_points (election_id);
