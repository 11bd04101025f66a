-- OD trips per destination sector, origin commune, local (Europe/Brussels) date, weekday and hour.
-- The input of the friction indicators 4 (congestion) and 10 (origin of inbound trips).
-- weekday: 0 = Monday. The repeated hour of the autumn DST change adds up in its local hour.
-- Parameters: $od (Parquet path or glob of silver.od_flows), $tz (time zone name).
SELECT
    destination_sector,
    origin_nis,
    CAST(timezone($tz, ts) AS DATE) AS local_date,
    isodow(timezone($tz, ts)) - 1 AS weekday,
    hour(timezone($tz, ts)) AS hour,
    sum(trips) AS trips
FROM read_parquet($od)
GROUP BY ALL
ORDER BY local_date, hour, destination_sector, origin_nis
