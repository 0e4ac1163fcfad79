-- The request list is read newest first, a page at a time, optionally by state or unit: indexes
-- in that order, so a page costs the same with 10 or 100,000 requests.
CREATE INDEX requests_created ON requests(created_at, tracking_code);
CREATE INDEX requests_state_created ON requests(state, created_at, tracking_code);
