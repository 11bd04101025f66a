-- silver.od_flows: hourly trips between sectors with the communes of both ends.
-- Parameters: $od (one day's bronze file), $sectors (silver sectors).
SELECT
    o.ts,
    o.day,
    o.origin_sector,
    so.nis AS origin_nis,
    o.destination_sector,
    sd.nis AS destination_nis,
    o.trips
FROM read_parquet($od) AS o
LEFT JOIN read_parquet($sectors) AS so ON so.sector_id = o.origin_sector
LEFT JOIN read_parquet($sectors) AS sd ON sd.sector_id = o.destination_sector
ORDER BY o.ts, o.origin_sector, o.destination_sector
