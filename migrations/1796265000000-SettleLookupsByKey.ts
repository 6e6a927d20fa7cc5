import { MigrationInterface, QueryRunner } from "typeorm";
import { SettleOneWritePerItem1796221557338 } from "./1796221557338-SettleOneWritePerItem";

/**
 * isq_settle's lookups by id and by item head can no longer become scans of every active event. Its plans are kept
 * per session (force_generic_plan): made while the queue was nearly empty, the settle UPDATE scanned all of
 * ix_inbound_events_partition without an index condition (its predicate is implied by status = 'processing', and on
 * tiny statistics a full scan of it costs less than the primary key), and the item refresh's NOT EXISTS became a
 * hashed subplan built from the same full scan, and the item rows' UPDATE joined every item row: 47–66 ms per settle
 * at 100,000 waiting (claims bench, "warm" session; auto_explain through BENCH_PG_LOG). Now: "still processing" as a
 * CASE (it proves nothing about the partial index, so the primary key is the only way in); the item's head checked by
 * a scalar subquery on (partition_key, seq), which is not turned into a hashed subplan; the item rows' UPDATE bounded
 * by their keys; the settled events' items looked up one id at a time (a scalar subquery: a LATERAL join was turned into a hash join over the whole primary key). Test in queue-statistics ("a settle in a session that planned it on an empty queue …").
 */
const STILL_PROCESSING = (alias: string) => `CASE WHEN ${alias}.status = 'processing' THEN true ELSE false END`;

/** The function as SettleOneWritePerItem wrote it: that migration's own statement, read instead of copied. */
async function before(): Promise<string> {
  const sql: string[] = [];
  await new SettleOneWritePerItem1796221557338().up({ query: async (text: string) => { sql.push(text); } } as unknown as QueryRunner);
  if (sql.length !== 1) throw new Error(`SettleLookupsByKey: expected one statement from SettleOneWritePerItem, got ${sql.length}`);
  return sql[0];
}

/** Each edit of the function as it was: the text found, and what replaces it (each found exactly once). */
const EDITS: Array<[string | RegExp, string]> = [
  // The settle UPDATE, in its "held" and its plain branch.
  ["AND e.claim_token = d.token AND e.status = 'processing'", `AND e.claim_token = d.token AND ${STILL_PROCESSING('e')}`],
  ["AND e.claim_token = v.token AND e.status = 'processing'", `AND e.claim_token = v.token AND ${STILL_PROCESSING('e')}`],
  // The items of the settled ids, one id at a time (a LATERAL join became a hash join over the whole primary key).
  [/SELECT array_agg\(DISTINCT e\.partition_key\)\s+INTO ks FROM inbound_events e WHERE e\.id = ANY\(p_ids\);/,
    'SELECT array_agg(DISTINCT (SELECT e.partition_key FROM inbound_events e WHERE e.id = i.id)) INTO ks FROM unnest(p_ids) AS i(id);'],
  // The item still running under its claim: a scalar subquery on (partition_key, seq), never a hashed subplan.
  [`       AND NOT (p.claim_token IS NOT NULL AND EXISTS (
             SELECT 1 FROM inbound_events x WHERE x.partition_key = p.key AND x.seq = p.head_seq AND x.status = 'processing' AND x.claim_token = p.claim_token))),`,
   `       AND NOT (p.claim_token IS NOT NULL AND COALESCE((
             SELECT CASE WHEN x.status = 'processing' THEN x.claim_token END FROM inbound_events x
              WHERE x.partition_key = p.key AND x.seq = p.head_seq) = p.claim_token, false))),`],
  // The item rows' UPDATE, bounded by their keys.
  [`      FROM heads WHERE p.key = heads.key
    RETURNING heads.status)`, `      FROM heads WHERE p.key = heads.key AND p.key = ANY(ks)
    RETURNING heads.status)`],
];

function edited(sql: string): string {
  return EDITS.reduce((text, [from, to]) => {
    const found = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from, 'g')) ?? []).length;
    if (found !== 1) throw new Error(`SettleLookupsByKey: expected one match of ${String(from).slice(0, 60)}, found ${found}`);
    return text.replace(from, to);
  }, sql);
}

export class SettleLookupsByKey1796265000000 implements MigrationInterface {
    name = 'SettleLookupsByKey1796265000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(edited(await before()));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await new SettleOneWritePerItem1796221557338().up(queryRunner);
    }
}
