import { MigrationInterface, QueryRunner } from "typeorm";

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

const BEFORE = `CREATE OR REPLACE FUNCTION public.isq_settle(p_ids uuid[], p_tokens uuid[], p_status text[], p_notes text[], p_connections uuid[], p_retry_ms bigint[], p_causes text[])
 RETURNS TABLE(id uuid, status text)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
#variable_conflict use_column
DECLARE
  ks text[];
  c text;
  missing text[];
  locked int;
  woke boolean;
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e WHERE e.id = ANY(p_ids);
  IF ks IS NULL THEN RETURN; END IF;
  PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF 'held' = ANY(p_status) THEN
    FOR c IN
      SELECT DISTINCT x FROM (
        SELECT v.cause AS x FROM unnest(p_causes, p_status) AS v(cause, st) WHERE v.st = 'held' AND v.cause IS NOT NULL
        UNION SELECT 'provider:' || e.provider FROM inbound_events e JOIN unnest(p_ids, p_status) AS v(id, st) ON e.id = v.id WHERE e.id = ANY(p_ids) AND v.st = 'held'
      ) causes ORDER BY 1
    LOOP
      INSERT INTO hold_causes (cause) VALUES (c) ON CONFLICT (cause) DO NOTHING;
      PERFORM 1 FROM hold_causes h WHERE h.cause = c FOR SHARE;
    END LOOP;
    RETURN QUERY
    WITH v AS (
      SELECT * FROM unnest(p_ids, p_tokens, p_status, p_notes, p_connections, p_retry_ms, p_causes)
        AS v(id, token, st, note, connection_id, retry_ms, cause)),
    decided AS (
      SELECT v.*, CASE WHEN v.st <> 'held' THEN v.st
                       WHEN EXISTS (
                         SELECT 1 FROM hold_causes h
                          WHERE h.cause IN (v.cause, 'provider:' || e.provider) AND h.released_xid IS NOT NULL
                            AND (e.claim_snapshot IS NULL OR NOT pg_visible_in_snapshot(h.released_xid::text::xid8, e.claim_snapshot::pg_snapshot)))
                         THEN 'pending'
                       ELSE 'held' END AS final
        FROM v JOIN inbound_events e ON e.id = v.id AND e.id = ANY(p_ids)),
    upd AS (
      UPDATE inbound_events e
         SET status = d.final,
             claim_token = NULL, locked_until = NULL,
             connection_id = COALESCE(d.connection_id, e.connection_id),
             attempts = CASE WHEN d.final IN ('held', 'pending') THEN GREATEST(e.attempts - 1, 0) ELSE e.attempts END,
             processed_at = CASE WHEN d.final IN ('done', 'ignored', 'dead') THEN now() ELSE NULL END,
             next_attempt_at = CASE d.final WHEN 'failed' THEN now() + d.retry_ms * interval '1 millisecond' WHEN 'pending' THEN now() ELSE NULL END,
             hold_cause = CASE WHEN d.final = 'held' THEN d.cause ELSE NULL END,
             last_error = CASE WHEN d.final = 'pending' THEN e.last_error ELSE d.note END
        FROM decided d
       WHERE e.id = ANY(p_ids) AND e.id = d.id AND e.claim_token = d.token AND e.status = 'processing'
      RETURNING e.id, e.status::text, e.partition_key)
    SELECT upd.id, upd.status FROM upd;
  ELSE
    -- Nothing held: every event gets the status asked (done | ignored | failed | dead), attempts unchanged.
    RETURN QUERY
    WITH v AS (
      SELECT * FROM unnest(p_ids, p_tokens, p_status, p_notes, p_connections, p_retry_ms)
        AS v(id, token, st, note, connection_id, retry_ms)),
    upd AS (
      UPDATE inbound_events e
         SET status = v.st,
             claim_token = NULL, locked_until = NULL,
             connection_id = COALESCE(v.connection_id, e.connection_id),
             processed_at = CASE WHEN v.st IN ('done', 'ignored', 'dead') THEN now() ELSE NULL END,
             next_attempt_at = CASE v.st WHEN 'failed' THEN now() + v.retry_ms * interval '1 millisecond' ELSE NULL END,
             hold_cause = NULL,
             last_error = v.note
        FROM v
       WHERE e.id = ANY(p_ids) AND e.id = v.id AND e.claim_token = v.token AND e.status = 'processing'
      RETURNING e.id, e.status::text, e.partition_key)
    SELECT upd.id, upd.status FROM upd;
  END IF;

  -- isq_refresh(ks), set-based (see above): items still running under their claim are left alone; the others
  -- get their first unfinished event as head (or go idle) and lose their claim token. An item whose event was
  -- settled above is one of the others (its head is no longer processing), so this is its only update.
  WITH todo AS (
    SELECT p.key FROM event_partitions p
     WHERE p.key = ANY(ks)
       AND NOT (p.claim_token IS NOT NULL AND EXISTS (
             SELECT 1 FROM inbound_events x WHERE x.partition_key = p.key AND x.seq = p.head_seq AND x.status = 'processing' AND x.claim_token = p.claim_token))),
  heads AS (
    SELECT todo.key, h.seq, h.status, h.priority, h.next_attempt_at
      FROM todo LEFT JOIN LATERAL (
        SELECT e.seq, e.status, e.priority, e.next_attempt_at FROM inbound_events e
         WHERE e.partition_key = todo.key AND e.status IN ('pending', 'failed', 'processing', 'held')
         ORDER BY e.seq LIMIT 1) h ON true),
  upd AS (
    UPDATE event_partitions p
       SET head_seq = heads.seq, priority = COALESCE(heads.priority, p.priority), claim_token = NULL,
           ready_at = CASE WHEN heads.seq IS NULL THEN NULL
                           WHEN heads.status = 'held' THEN NULL WHEN heads.status = 'processing' THEN now()
                           ELSE COALESCE(heads.next_attempt_at, now()) END
      FROM heads WHERE p.key = heads.key
    RETURNING heads.status)
  SELECT COALESCE(bool_or(upd.status IN ('pending', 'processing')), false) INTO woke FROM upd;
  IF woke THEN PERFORM pg_notify('inbound_events', ''); END IF;
  IF locked < array_length(ks, 1) THEN
    SELECT array_agg(k) INTO missing FROM unnest(ks) k WHERE NOT EXISTS (SELECT 1 FROM event_partitions p WHERE p.key = k);
    IF missing IS NOT NULL THEN PERFORM isq_refresh(missing); END IF;
  END IF;
END
$function$`;

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
        await queryRunner.query(edited(BEFORE));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(BEFORE);
    }
}
