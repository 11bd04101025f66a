-- Per stop: number of scheduled stop_times and the route types serving it.
-- Stops without any departure stay (n_stop_times = 0): they are reported, never dropped.
-- Parameters: $stops, $departures.
SELECT
    s.feed_id,
    s.stop_id,
    count(d.trip_id) AS n_stop_times,
    string_agg(DISTINCT CAST(d.route_type AS VARCHAR), ',' ORDER BY CAST(d.route_type AS VARCHAR)) AS route_types
FROM read_parquet($stops) AS s
LEFT JOIN read_parquet($departures) AS d USING (feed_id, stop_id)
GROUP BY s.feed_id, s.stop_id
