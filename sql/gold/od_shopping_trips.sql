-- gold.od_shopping_trips: mobile-operator trips between sectors during shopping hours,
-- summed over all days. Hours are local (Europe/Brussels) wall-clock hours.
-- Parameters: $od (glob of the silver.od_flows partitions), $tz, $from_hour (inclusive),
-- $to_hour (exclusive).
SELECT
    origin_sector,
    destination_sector,
    sum(trips) AS trips
FROM read_parquet($od, hive_partitioning = false)
WHERE hour(timezone($tz, ts)) >= $from_hour
  AND hour(timezone($tz, ts)) < $to_hour
GROUP BY origin_sector, destination_sector
ORDER BY origin_sector, destination_sector
