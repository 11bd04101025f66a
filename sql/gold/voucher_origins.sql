-- gold.voucher_origins: voucher/loyalty customers per (customer sector, customer postcode,
-- merchant), all days. Rows without a customer sector or postcode are kept (NULL) so that
-- they are counted. Input: the registered relation `transactions` (every day of
-- silver.transactions: customer_sector, customer_postcode, merchant_id, merchant_nis).
SELECT
    customer_sector,
    customer_postcode,
    merchant_id,
    merchant_nis,
    count(*) AS customers
FROM transactions
GROUP BY customer_sector, customer_postcode, merchant_id, merchant_nis
ORDER BY customer_sector NULLS LAST, customer_postcode NULLS LAST, merchant_id
