-- A published service version marked deprecated (issue 15): from `deprecated_at` the gateway
-- answers its calls with `Deprecation` (RFC 9745) and, when a retirement date is set, `Sunset`
-- (RFC 8594). Milliseconds since the epoch; both empty for a version in good standing.
ALTER TABLE services ADD COLUMN deprecated_at INTEGER;
ALTER TABLE services ADD COLUMN sunset_at INTEGER;
