-- silver.transactions: voucher transactions of one day with the merchant's commune and cell.
-- Parameters: $transactions (one day's bronze file), $merchants (silver merchants).
SELECT
    t.transaction_id,
    t.merchant_id,
    m.establishment_number,
    m.category,
    m.nis AS merchant_nis,
    m.h3 AS merchant_h3,
    t.ts,
    t.day,
    t.amount_eur,
    t.customer_postcode,
    t.customer_sector
FROM read_parquet($transactions) AS t
LEFT JOIN read_parquet($merchants) AS m USING (merchant_id)
ORDER BY t.ts, t.transaction_id
