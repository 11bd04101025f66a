-- gold.od_shopping_trips: mobile-operator trips between sectors during shopping hours,
-- summed over all days. Hours are local (Europe/Brussels) wall-clock hours.
-- Input: the registered relation `od` (every day of silver.od_flows: origin_sector,
-- destination_sector, ts, trips). Parameters: $tz, $from_hour (inclusive), $to_hour (exclusive).
SELECT
    origin_sector,
    destination_sector,
    sum(trips) AS trips
FROM od
WHERE hour(timezone($tz, ts)) >= $from_hour
  AND hour(timezone($tz, ts)) < $to_hour
GROUP BY origin_sector, destination_sector
ORDER BY origin_sector, destination_sector
