-- Lists of open work by area, soonest limit first (dashboards' overdue and
-- supervised lists, inboxes by area). Open appeals are a small part of the
-- history, so partial indexes keep these reads small however long it grows.
CREATE INDEX appeals_open_district ON appeals (district_code, act_by) WHERE status <> 'closed';
CREATE INDEX appeals_open_street ON appeals (street_code, act_by) WHERE status <> 'closed';
CREATE INDEX appeals_open_community ON appeals (community_code, act_by) WHERE status <> 'closed';
CREATE INDEX appeals_open_grid ON appeals (grid_code, act_by) WHERE status <> 'closed';
-- The supervised (督办) cases still open, city-wide.
CREATE INDEX appeals_supervised_open ON appeals (act_by)
    WHERE supervised = 1 AND status <> 'closed';
