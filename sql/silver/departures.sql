-- silver.departures: one row per scheduled departure of a trip at a stop (service-day seconds).
-- Parameters: $stop_times, $trips, $routes (Parquet paths of the bronze GTFS tables).
SELECT
    st.feed_id,
    st.stop_id,
    st.trip_id,
    t.route_id,
    r.route_type,
    t.service_id,
    st.stop_sequence,
    st.departure_s
FROM read_parquet($stop_times) AS st
JOIN read_parquet($trips) AS t USING (feed_id, trip_id)
JOIN read_parquet($routes) AS r USING (feed_id, route_id)
WHERE st.departure_s IS NOT NULL
ORDER BY st.feed_id, st.stop_id, st.departure_s, st.trip_id
