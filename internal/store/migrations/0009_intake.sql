-- Phone numbers across organisations (issue 10). An organisation's
-- country reads the national numbers of its roster and of inbound SMS.
-- A number may be on two organisations' rosters only when both have
-- agreed: each records its side (org_id agrees to share phone with
-- partner_id); an inbound SMS from a number shared so then asks which
-- organisation the report is for.
ALTER TABLE organisations ADD COLUMN country TEXT NOT NULL DEFAULT '';

CREATE TABLE phone_shares (
    phone TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    partner_id BIGINT NOT NULL REFERENCES organisations(id),
    created TEXT NOT NULL,
    PRIMARY KEY (phone, org_id, partner_id)
);

-- The photos an organisation holds are summed against its quota.
CREATE INDEX photos_org ON photos (org_id);
