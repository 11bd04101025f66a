-- gold.h3_cells: every res-9 cell of the territory with its commune, exact area, population
-- and counts of shops, KBO establishments (workplaces), public-transport stops and parking
-- capacity. Shops per commerce category are added in Python from constants.SHOP_CATEGORIES.
-- Inputs: the registered relation `cells` (h3, h3_r8, h3_r7, nis, area_m2, territory_share,
-- population) and the registered relations `shops`, `establishments`, `stops`, `parking` (h3 + counts).
WITH shop_counts AS (
    SELECT h3, count(*) AS shops
    FROM shops
    GROUP BY h3
),
establishment_counts AS (
    SELECT h3, count(*) AS establishments
    FROM establishments
    GROUP BY h3
),
stop_counts AS (
    SELECT
        h3,
        count(*) AS stops,
        count(*) FILTER (WHERE n_stop_times > 0) AS stops_served,
        coalesce(sum(n_stop_times), 0) AS stop_times
    FROM stops
    GROUP BY h3
),
parking_capacity AS (
    SELECT h3, count(*) AS car_parks, coalesce(sum(capacity), 0) AS parking_capacity
    FROM parking
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
    coalesce(e.establishments, 0) AS establishments,
    coalesce(t.stops, 0) AS stops,
    coalesce(t.stops_served, 0) AS stops_served,
    coalesce(t.stop_times, 0) AS stop_times,
    coalesce(p.car_parks, 0) AS car_parks,
    coalesce(p.parking_capacity, 0) AS parking_capacity
FROM cells AS c
LEFT JOIN shop_counts AS s USING (h3)
LEFT JOIN establishment_counts AS e USING (h3)
LEFT JOIN stop_counts AS t USING (h3)
LEFT JOIN parking_capacity AS p USING (h3)
ORDER BY c.h3
