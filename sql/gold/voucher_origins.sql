-- gold.voucher_origins: voucher/loyalty customers per (customer sector, merchant), all days.
-- Rows without a customer sector are kept (customer_sector NULL) so that they are counted.
-- Parameters: $transactions (glob of the silver.transactions partitions).
SELECT
    customer_sector,
    merchant_id,
    count(*) AS customers
FROM read_parquet($transactions, hive_partitioning = false)
GROUP BY customer_sector, merchant_id
ORDER BY customer_sector NULLS LAST, merchant_id
