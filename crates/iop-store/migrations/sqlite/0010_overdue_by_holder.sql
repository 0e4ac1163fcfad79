-- The overview counts overdue requests state by state, grouped by whom they wait for: in this
-- index's order no group needs a sort (with (state, state_since, …) every overdue request went
-- through one).
DROP INDEX requests_state_wait;
CREATE INDEX requests_state_holder ON requests(state, wait_role, wait_user, state_since);
