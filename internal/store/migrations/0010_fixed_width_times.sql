-- Times become fixed-width UTC text, 2006-01-02T15:04:05.000000Z, so that
-- SQL's string order is time order on both engines. The earlier form,
-- Go's RFC3339Nano, drops trailing zeros of the fraction: "…:05Z" sorts
-- after "…:05.5Z" ('Z' > '.'), so "s.expires > $2" was wrong within a
-- second. Every stored time was written in UTC ("Z"): the seconds are kept,
-- the fraction padded (or cut) to six digits. Values already fixed-width
-- and empty ones (a token not revoked) are left as they are.

UPDATE elections SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE batches SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE protocols SET received = substr(received, 1, 19) || '.' || substr(replace(substr(received, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE received LIKE '____-__-__T__:__:__%Z' AND length(received) <> 27;
UPDATE organisations SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE users SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE sessions SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE sessions SET expires = substr(expires, 1, 19) || '.' || substr(replace(substr(expires, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE expires LIKE '____-__-__T__:__:__%Z' AND length(expires) <> 27;
UPDATE observers SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE api_tokens SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE api_tokens SET revoked = substr(revoked, 1, 19) || '.' || substr(replace(substr(revoked, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE revoked LIKE '____-__-__T__:__:__%Z' AND length(revoked) <> 27;
UPDATE deployments SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE forms SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE reports SET submitted = substr(submitted, 1, 19) || '.' || substr(replace(substr(submitted, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE submitted LIKE '____-__-__T__:__:__%Z' AND length(submitted) <> 27;
UPDATE reports SET received = substr(received, 1, 19) || '.' || substr(replace(substr(received, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE received LIKE '____-__-__T__:__:__%Z' AND length(received) <> 27;
UPDATE sms_messages SET received = substr(received, 1, 19) || '.' || substr(replace(substr(received, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE received LIKE '____-__-__T__:__:__%Z' AND length(received) <> 27;
UPDATE resolutions SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
UPDATE audit SET at = substr(at, 1, 19) || '.' || substr(replace(substr(at, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE at LIKE '____-__-__T__:__:__%Z' AND length(at) <> 27;
UPDATE rec_assessments SET updated = substr(updated, 1, 19) || '.' || substr(replace(substr(updated, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE updated LIKE '____-__-__T__:__:__%Z' AND length(updated) <> 27;
UPDATE published_findings SET published = substr(published, 1, 19) || '.' || substr(replace(substr(published, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE published LIKE '____-__-__T__:__:__%Z' AND length(published) <> 27;
UPDATE photos SET received = substr(received, 1, 19) || '.' || substr(replace(substr(received, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE received LIKE '____-__-__T__:__:__%Z' AND length(received) <> 27;
UPDATE phone_shares SET created = substr(created, 1, 19) || '.' || substr(replace(substr(created, 21), 'Z', '') || '000000', 1, 6) || 'Z'
    WHERE created LIKE '____-__-__T__:__:__%Z' AND length(created) <> 27;
