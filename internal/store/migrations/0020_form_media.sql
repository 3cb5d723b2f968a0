-- Form media files (issue 13): the pictures a form version's media::image
-- cells name, uploaded beside the workbook as ODK Central takes them, and
-- served with the version's OpenRosa manifest. One file per name per form
-- version; uploading a name again replaces it (the manifest's MD5 changes
-- and clients fetch it again).
CREATE TABLE form_media (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    form_id BIGINT NOT NULL REFERENCES forms(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data {{blob}} NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (form_id, file_name)
);
