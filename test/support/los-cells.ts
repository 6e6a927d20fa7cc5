/**
 * LOS cells written straight into los_days, as the dataset writer stores them: `cells` is a SELECT of
 * (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, price, currency,
 * updated_at, account_id), one row per cell; the cells of one (resource, channel, arrival date) become its day row.
 */
export function insertLosCellsSql(cells: string): string {
  return `WITH c AS (${cells}),
  g AS (SELECT resource_id, channel, arrival_date, max(length_of_stay) AS n, max(location_id) AS location_id,
               (array_agg(connection_id::text))[1] AS connection_id, (array_agg(account_id::text))[1] AS account_id,
               max(currency) AS currency, max(updated_at::timestamptz) AS updated_at
          FROM c GROUP BY resource_id, channel, arrival_date)
  INSERT INTO los_days (resource_id, channel, arrival_date, location_id, connection_id, account_id, units, prices, currency, updated_at)
  SELECT g.resource_id, g.channel, g.arrival_date, g.location_id, g.connection_id::uuid, g.account_id::uuid,
         array(SELECT c.units_available FROM generate_series(1, g.n) s
                 LEFT JOIN c ON (c.resource_id, c.channel, c.arrival_date, c.length_of_stay) = (g.resource_id, g.channel, g.arrival_date, s) ORDER BY s),
         array(SELECT c.price FROM generate_series(1, g.n) s
                 LEFT JOIN c ON (c.resource_id, c.channel, c.arrival_date, c.length_of_stay) = (g.resource_id, g.channel, g.arrival_date, s) ORDER BY s),
         g.currency, coalesce(g.updated_at, now())
    FROM g`;
}
