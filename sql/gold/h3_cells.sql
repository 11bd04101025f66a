-- gold.h3_cells: every res-9 cell of the territory with its commune, exact area, population
-- and counts of shops by commerce category, public-transport stops and parking capacity.
-- Inputs: the registered relation `cells` (h3, h3_r8, h3_r7, nis, area_m2, territory_share,
-- population) and the parameters $shops, $stops, $parking (silver Parquet paths).
WITH shop_counts AS (
    SELECT
        h3,
        count(*) AS shops,
        count(*) FILTER (WHERE category = 'food') AS shops_food,
        count(*) FILTER (WHERE category = 'fashion') AS shops_fashion,
        count(*) FILTER (WHERE category = 'health_beauty') AS shops_health_beauty,
        count(*) FILTER (WHERE category = 'household') AS shops_household,
        count(*) FILTER (WHERE category = 'culture_leisure') AS shops_culture_leisure,
        count(*) FILTER (WHERE category = 'other_retail') AS shops_other_retail,
        count(*) FILTER (WHERE category = 'horeca') AS shops_horeca,
        count(*) FILTER (WHERE category = 'personal_services') AS shops_personal_services
    FROM read_parquet($shops)
    GROUP BY h3
),
stop_counts AS (
    SELECT
        h3,
        count(*) AS stops,
        count(*) FILTER (WHERE n_stop_times > 0) AS stops_served,
        coalesce(sum(n_stop_times), 0) AS stop_times
    FROM read_parquet($stops)
    GROUP BY h3
),
parking_capacity AS (
    SELECT h3, count(*) AS car_parks, coalesce(sum(capacity), 0) AS parking_capacity
    FROM read_parquet($parking)
    GROUP BY h3
)
SELECT
    c.h3,
    c.h3_r8,
    c.h3_r7,
    c.nis,
    c.area_m2,
    c.territory_share,
    c.population,
    c.population / (c.area_m2 * c.territory_share / 1e6) AS population_per_km2,
    coalesce(s.shops, 0) AS shops,
    coalesce(s.shops_food, 0) AS shops_food,
    coalesce(s.shops_fashion, 0) AS shops_fashion,
    coalesce(s.shops_health_beauty, 0) AS shops_health_beauty,
    coalesce(s.shops_household, 0) AS shops_household,
    coalesce(s.shops_culture_leisure, 0) AS shops_culture_leisure,
    coalesce(s.shops_other_retail, 0) AS shops_other_retail,
    coalesce(s.shops_horeca, 0) AS shops_horeca,
    coalesce(s.shops_personal_services, 0) AS shops_personal_services,
    coalesce(t.stops, 0) AS stops,
    coalesce(t.stops_served, 0) AS stops_served,
    coalesce(t.stop_times, 0) AS stop_times,
    coalesce(p.car_parks, 0) AS car_parks,
    coalesce(p.parking_capacity, 0) AS parking_capacity
FROM cells AS c
LEFT JOIN shop_counts AS s USING (h3)
LEFT JOIN stop_counts AS t USING (h3)
LEFT JOIN parking_capacity AS p USING (h3)
ORDER BY c.h3
