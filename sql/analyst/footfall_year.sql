-- A year of hourly footfall for one commune, from the warehouse (gold.footfall_hourly):
-- one row per hour, footfall summed over the commune's cells. Parameter: $nis.
-- Hours whose figure rests on fewer than k devices are suppressed upstream (suppressed = true)
-- and counted here as such.
SELECT
    ts,
    sum(footfall) AS footfall,
    count(*) FILTER (WHERE suppressed) AS suppressed_cells
FROM gold.footfall_hourly
WHERE nis = $nis
GROUP BY ts
ORDER BY ts
