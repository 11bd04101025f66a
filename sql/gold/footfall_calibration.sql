-- gold.footfall_calibration: per WiFi sensor paired with a pedestrian counter, the ratio of
-- pedestrians counted to devices detected over every hour both report (ratio of sums).
-- Inputs: the registered relations `counts` (sensor_id, ts, count, complete, source: the
-- silver.sensor_counts columns) and `pairs` (sensor_id of the WiFi sensor, counter_id).
-- Only complete counter hours (every 5-minute interval present) are used; hours one side
-- lacks are left out on both sides, so gaps never bias the ratio.
WITH wifi AS (
    SELECT sensor_id, ts, count
    FROM counts
    WHERE source = 'wifi' AND count IS NOT NULL
),
counter AS (
    SELECT sensor_id AS counter_id, ts, count
    FROM counts
    WHERE source = 'counter' AND complete AND count IS NOT NULL
),
matched AS (
    SELECT p.sensor_id, p.counter_id, w.count AS devices, c.count AS pedestrians
    FROM pairs AS p
    JOIN wifi AS w ON w.sensor_id = p.sensor_id
    JOIN counter AS c ON c.counter_id = p.counter_id AND c.ts = w.ts
)
SELECT
    p.sensor_id,
    p.counter_id,
    count(m.devices) AS hours_matched,
    coalesce(sum(m.devices), 0)::BIGINT AS wifi_devices,
    coalesce(sum(m.pedestrians), 0)::BIGINT AS counter_pedestrians,
    sum(m.pedestrians)::DOUBLE / nullif(sum(m.devices), 0) AS factor
FROM pairs AS p
LEFT JOIN matched AS m USING (sensor_id, counter_id)
GROUP BY p.sensor_id, p.counter_id
ORDER BY p.sensor_id
