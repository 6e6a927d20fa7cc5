import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The queue functions' statements stay index probes whatever the statistics say.
 *
 * With statistics from an empty queue (a burst before autovacuum's ANALYZE), a statement joining
 * inbound_events to a small array (`FROM unnest(seqs) c WHERE e.seq = c.seq`) was planned as a hash join over
 * a full scan of ix_inbound_events_partition (100,000 rows hashed to claim 16: ~100 ms per claim), and with
 * joins forced to nested loops as a skip scan of an index whose second column is `seq` (PostgreSQL 18 skip
 * scans: any (x, seq) index can serve `seq = …`). So every probe now names what only a narrow index scan can
 * serve: `partition_key = ANY(ks) AND seq = ANY(seqs)` (both columns of the item index), `id = ANY(p_ids)`
 * (the primary key) beside the joins to the arrays' values, `partition_key = … AND seq = …` in the head and
 * tail checks. Measured at 100,000 waiting on stale statistics: isq_claim 100 ms → 4–8 ms.
 * Plans: isq_claim keeps one per call (a generic plan does not know `LIMIT room` and hash-joined event_partitions
 * in full: 60–80 ms at 100,000 waiting); the others keep one per session (force_generic_plan): planning was more
 * than half of isq_settle's time, and with plans per call the no-op end-to-end bench fell from p99 241 ms and
 * 1,367 drained events/s to 553–993 ms and 964–1,082/s. The price: a plan made while a pooled connection worked
 * the empty queue may treat `e.id = ANY(p_ids)` as a full scan of another index (free on an empty table), so after
 * a burst that session's settles take 20–190 ms until the tables are analysed again — the queue gauges' leader
 * analyses them when the backlog has grown (QueueGaugesService). Seq and bitmap scans stay off. Bodies are those
 * of QueueByItem / SettleFastPath with these predicates added. Written by
 * hand: TypeORM does not diff functions.
 */
const UP_ISQ_CLAIM = `
CREATE OR REPLACE FUNCTION public.isq_claim(p_limit integer, p_lock_ms integer, p_max_attempts integer, p_priorities smallint[])
 RETURNS SETOF inbound_events
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  pr smallint;
  room int := p_limit;
  ks text[] := '{}';
  seqs bigint[] := '{}';
  toks uuid[] := '{}';
  k2 text[];
  s2 bigint[];
  t2 uuid[];
  got text[] := '{}';
  r inbound_events%ROWTYPE;
  lock_for interval := p_lock_ms * interval '1 millisecond';
BEGIN
  FOREACH pr IN ARRAY p_priorities LOOP
    EXIT WHEN room <= 0;
    WITH picked AS (
      SELECT key FROM event_partitions
       WHERE priority = pr AND ready_at <= now()
       ORDER BY ready_at
       LIMIT room
       FOR UPDATE SKIP LOCKED),
    upd AS (
      UPDATE event_partitions p SET claim_token = gen_random_uuid(), ready_at = now() + lock_for
        FROM picked WHERE p.key = picked.key AND p.head_seq IS NOT NULL
      RETURNING p.key, p.head_seq, p.claim_token)
    SELECT COALESCE(array_agg(key), '{}'), COALESCE(array_agg(head_seq), '{}'), COALESCE(array_agg(claim_token), '{}')
      INTO k2, s2, t2 FROM upd;
    ks := ks || k2; seqs := seqs || s2; toks := toks || t2;
    room := room - COALESCE(array_length(k2, 1), 0);
  END LOOP;
  IF COALESCE(array_length(ks, 1), 0) = 0 THEN RETURN; END IF;

  UPDATE inbound_events e
     SET status = 'dead', processed_at = now(), locked_until = NULL, next_attempt_at = NULL, claim_token = NULL,
         last_error = format('the process handling it stopped before it finished, %s times', e.attempts)
   WHERE e.partition_key = ANY(ks) AND e.seq = ANY(seqs) AND e.status = 'processing' AND e.attempts >= p_max_attempts;

  FOR r IN
    UPDATE inbound_events e
       SET status = 'processing', attempts = e.attempts + 1, claim_token = toks[array_position(seqs, e.seq)],
           locked_until = now() + lock_for, claim_snapshot = pg_current_snapshot()::text,
           last_error = CASE WHEN e.status = 'processing' THEN 'the process handling it stopped before it finished' ELSE e.last_error END
     WHERE e.partition_key = ANY(ks) AND e.seq = ANY(seqs) AND e.status IN ('pending', 'failed', 'processing')
    RETURNING e.*
  LOOP
    got := got || r.partition_key;
    RETURN NEXT r;
  END LOOP;
  -- Items whose head did not start (dead above, or not runnable after all) move on.
  IF COALESCE(array_length(got, 1), 0) < array_length(ks, 1) THEN
    PERFORM isq_refresh(ARRAY(SELECT unnest(ks) EXCEPT SELECT unnest(got)));
  END IF;
END
$function$;
`;

const UP_ISQ_SETTLE = `
CREATE OR REPLACE FUNCTION public.isq_settle(p_ids uuid[], p_tokens uuid[], p_status text[], p_notes text[], p_connections uuid[], p_retry_ms bigint[], p_causes text[])
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
      RETURNING e.id, e.status::text, e.partition_key),
    cleared AS (
      UPDATE event_partitions p SET claim_token = NULL
        FROM upd WHERE p.key = upd.partition_key AND p.claim_token = ANY(p_tokens)
      RETURNING p.key)
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
      RETURNING e.id, e.status::text, e.partition_key),
    cleared AS (
      UPDATE event_partitions p SET claim_token = NULL
        FROM upd WHERE p.key = upd.partition_key AND p.claim_token = ANY(p_tokens)
      RETURNING p.key)
    SELECT upd.id, upd.status FROM upd;
  END IF;

  -- isq_refresh(ks), set-based (see above): items still running under their claim are left alone; the others
  -- get their first unfinished event as head (or go idle).
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
$function$;
`;

const UP_ISQ_BEFORE_INSERT = `
CREATE OR REPLACE FUNCTION public.isq_before_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  p event_partitions%ROWTYPE;
BEGIN
  LOOP
    INSERT INTO event_partitions (key) VALUES (NEW.partition_key) ON CONFLICT (key) DO NOTHING;
    SELECT * INTO p FROM event_partitions WHERE key = NEW.partition_key FOR NO KEY UPDATE;
    EXIT WHEN FOUND; -- an idle row deleted by housekeeping in between: create it again
  END LOOP;
  IF NEW.coalesce_key IS NOT NULL AND p.tail_seq IS NOT NULL AND EXISTS (
       SELECT 1 FROM inbound_events t
        WHERE t.partition_key = NEW.partition_key AND t.seq = p.tail_seq AND t.status = 'pending' AND t.coalesce_key = NEW.coalesce_key AND t.provider = NEW.provider) THEN
    RETURN NULL;
  END IF;
  NEW.seq := nextval('inbound_events_seq_seq');
  -- Here, not after the insert: a later row of the same multi-row INSERT must see it (AFTER ROW triggers
  -- run at the end of the statement). A row then dropped by ON CONFLICT leaves a tail that matches nothing.
  UPDATE event_partitions SET tail_seq = NEW.seq WHERE key = NEW.partition_key;
  RETURN NEW;
END
$function$;
`;

const UP_ISQ_AFTER_INSERT = `
CREATE OR REPLACE FUNCTION public.isq_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
BEGIN
  IF NEW.status NOT IN ('pending', 'failed', 'processing', 'held') THEN RETURN NULL; END IF;
  UPDATE event_partitions
     SET head_seq = NEW.seq,
         priority = NEW.priority,
         ready_at = CASE NEW.status WHEN 'held' THEN NULL WHEN 'processing' THEN COALESCE(NEW.locked_until, now())
                                    ELSE COALESCE(NEW.next_attempt_at, now()) END
   WHERE key = NEW.partition_key AND head_seq IS NULL;
  IF FOUND THEN PERFORM pg_notify('inbound_events', ''); END IF;
  RETURN NULL;
END
$function$;
`;

const UP_ISQ_REFRESH = `
CREATE OR REPLACE FUNCTION public.isq_refresh(p_keys text[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  k text;
  p event_partitions%ROWTYPE;
  h record;
  woke boolean := false;
BEGIN
  FOR k IN SELECT DISTINCT u FROM unnest(p_keys) u WHERE u IS NOT NULL ORDER BY 1 LOOP
    SELECT * INTO p FROM event_partitions WHERE key = k FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      INSERT INTO event_partitions (key) VALUES (k) ON CONFLICT (key) DO NOTHING;
      SELECT * INTO p FROM event_partitions WHERE key = k FOR NO KEY UPDATE;
    END IF;
    IF p.claim_token IS NOT NULL AND EXISTS (
         SELECT 1 FROM inbound_events WHERE partition_key = k AND seq = p.head_seq AND status = 'processing' AND claim_token = p.claim_token) THEN
      CONTINUE;
    END IF;
    SELECT e.seq, e.status, e.priority, e.next_attempt_at INTO h FROM inbound_events e
     WHERE e.partition_key = k AND e.status IN ('pending', 'failed', 'processing', 'held')
     ORDER BY e.seq LIMIT 1;
    IF NOT FOUND THEN
      UPDATE event_partitions SET head_seq = NULL, ready_at = NULL, claim_token = NULL WHERE key = k;
    ELSE
      -- A processing head without the item's claim is an orphan (its claim was lost): claimable again.
      UPDATE event_partitions
         SET head_seq = h.seq, priority = h.priority, claim_token = NULL,
             ready_at = CASE h.status WHEN 'held' THEN NULL WHEN 'processing' THEN now() ELSE COALESCE(h.next_attempt_at, now()) END
       WHERE key = k;
      IF h.status IN ('pending', 'processing') THEN woke := true; END IF;
    END IF;
  END LOOP;
  IF woke THEN PERFORM pg_notify('inbound_events', ''); END IF;
END
$function$;
`;

const UP_ISQ_HEARTBEAT = `
CREATE OR REPLACE FUNCTION public.isq_heartbeat(p_ids uuid[], p_tokens uuid[], p_lock_ms integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  n int;
BEGIN
  PERFORM 1 FROM event_partitions p
   WHERE p.claim_token = ANY(p_tokens)
     AND p.key IN (SELECT e.partition_key FROM inbound_events e WHERE e.id = ANY(p_ids))
   ORDER BY p.key FOR NO KEY UPDATE;
  UPDATE event_partitions p SET ready_at = now() + p_lock_ms * interval '1 millisecond'
   WHERE p.claim_token = ANY(p_tokens)
     AND p.key IN (SELECT e.partition_key FROM inbound_events e WHERE e.id = ANY(p_ids));
  UPDATE inbound_events e SET locked_until = now() + p_lock_ms * interval '1 millisecond'
    FROM unnest(p_ids, p_tokens) AS v(id, token)
   WHERE e.id = ANY(p_ids) AND e.id = v.id AND e.claim_token = v.token AND e.status = 'processing';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$function$;
`;

const UP_ISQ_RELEASE = `
CREATE OR REPLACE FUNCTION public.isq_release(p_ids uuid[], p_tokens uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  ks text[];
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e WHERE e.id = ANY(p_ids);
  IF ks IS NULL THEN RETURN; END IF;
  PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
  UPDATE inbound_events e
     SET status = 'pending', attempts = GREATEST(e.attempts - 1, 0), claim_token = NULL, locked_until = NULL, next_attempt_at = now()
    FROM unnest(p_ids, p_tokens) AS v(id, token)
   WHERE e.id = ANY(p_ids) AND e.id = v.id AND e.claim_token = v.token AND e.status = 'processing';
  UPDATE event_partitions p SET claim_token = NULL WHERE p.key = ANY(ks) AND p.claim_token = ANY(p_tokens);
  PERFORM isq_refresh(ks);
END
$function$;
`;

const DOWN_ISQ_CLAIM = `
CREATE OR REPLACE FUNCTION public.isq_claim(p_limit integer, p_lock_ms integer, p_max_attempts integer, p_priorities smallint[])
 RETURNS SETOF inbound_events
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  pr smallint;
  room int := p_limit;
  ks text[] := '{}';
  seqs bigint[] := '{}';
  toks uuid[] := '{}';
  k2 text[];
  s2 bigint[];
  t2 uuid[];
  got text[] := '{}';
  r inbound_events%ROWTYPE;
  lock_for interval := p_lock_ms * interval '1 millisecond';
BEGIN
  FOREACH pr IN ARRAY p_priorities LOOP
    EXIT WHEN room <= 0;
    WITH picked AS (
      SELECT key FROM event_partitions
       WHERE priority = pr AND ready_at <= now()
       ORDER BY ready_at
       LIMIT room
       FOR UPDATE SKIP LOCKED),
    upd AS (
      UPDATE event_partitions p SET claim_token = gen_random_uuid(), ready_at = now() + lock_for
        FROM picked WHERE p.key = picked.key AND p.head_seq IS NOT NULL
      RETURNING p.key, p.head_seq, p.claim_token)
    SELECT COALESCE(array_agg(key), '{}'), COALESCE(array_agg(head_seq), '{}'), COALESCE(array_agg(claim_token), '{}')
      INTO k2, s2, t2 FROM upd;
    ks := ks || k2; seqs := seqs || s2; toks := toks || t2;
    room := room - COALESCE(array_length(k2, 1), 0);
  END LOOP;
  IF COALESCE(array_length(ks, 1), 0) = 0 THEN RETURN; END IF;

  UPDATE inbound_events e
     SET status = 'dead', processed_at = now(), locked_until = NULL, next_attempt_at = NULL, claim_token = NULL,
         last_error = format('the process handling it stopped before it finished, %s times', e.attempts)
    FROM unnest(seqs) AS c(seq)
   WHERE e.seq = c.seq AND e.status = 'processing' AND e.attempts >= p_max_attempts;

  FOR r IN
    UPDATE inbound_events e
       SET status = 'processing', attempts = e.attempts + 1, claim_token = c.token,
           locked_until = now() + lock_for, claim_snapshot = pg_current_snapshot()::text,
           last_error = CASE WHEN e.status = 'processing' THEN 'the process handling it stopped before it finished' ELSE e.last_error END
      FROM unnest(seqs, toks) AS c(seq, token)
     WHERE e.seq = c.seq AND e.status IN ('pending', 'failed', 'processing')
    RETURNING e.*
  LOOP
    got := got || r.partition_key;
    RETURN NEXT r;
  END LOOP;
  -- Items whose head did not start (dead above, or not runnable after all) move on.
  IF COALESCE(array_length(got, 1), 0) < array_length(ks, 1) THEN
    PERFORM isq_refresh(ARRAY(SELECT unnest(ks) EXCEPT SELECT unnest(got)));
  END IF;
END
$function$;
`;

const DOWN_ISQ_SETTLE = `
CREATE OR REPLACE FUNCTION public.isq_settle(p_ids uuid[], p_tokens uuid[], p_status text[], p_notes text[], p_connections uuid[], p_retry_ms bigint[], p_causes text[])
 RETURNS TABLE(id uuid, status text)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
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
        UNION SELECT 'provider:' || e.provider FROM inbound_events e JOIN unnest(p_ids, p_status) AS v(id, st) ON e.id = v.id WHERE v.st = 'held'
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
        FROM v JOIN inbound_events e ON e.id = v.id),
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
       WHERE e.id = d.id AND e.claim_token = d.token AND e.status = 'processing'
      RETURNING e.id, e.status::text, e.partition_key),
    cleared AS (
      UPDATE event_partitions p SET claim_token = NULL
        FROM upd WHERE p.key = upd.partition_key AND p.claim_token = ANY(p_tokens)
      RETURNING p.key)
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
       WHERE e.id = v.id AND e.claim_token = v.token AND e.status = 'processing'
      RETURNING e.id, e.status::text, e.partition_key),
    cleared AS (
      UPDATE event_partitions p SET claim_token = NULL
        FROM upd WHERE p.key = upd.partition_key AND p.claim_token = ANY(p_tokens)
      RETURNING p.key)
    SELECT upd.id, upd.status FROM upd;
  END IF;

  -- isq_refresh(ks), set-based (see above): items still running under their claim are left alone; the others
  -- get their first unfinished event as head (or go idle).
  WITH todo AS (
    SELECT p.key FROM event_partitions p
     WHERE p.key = ANY(ks)
       AND NOT (p.claim_token IS NOT NULL AND EXISTS (
             SELECT 1 FROM inbound_events x WHERE x.seq = p.head_seq AND x.status = 'processing' AND x.claim_token = p.claim_token))),
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
$function$;
`;

const DOWN_ISQ_BEFORE_INSERT = `
CREATE OR REPLACE FUNCTION public.isq_before_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  p event_partitions%ROWTYPE;
BEGIN
  LOOP
    INSERT INTO event_partitions (key) VALUES (NEW.partition_key) ON CONFLICT (key) DO NOTHING;
    SELECT * INTO p FROM event_partitions WHERE key = NEW.partition_key FOR NO KEY UPDATE;
    EXIT WHEN FOUND; -- an idle row deleted by housekeeping in between: create it again
  END LOOP;
  IF NEW.coalesce_key IS NOT NULL AND p.tail_seq IS NOT NULL AND EXISTS (
       SELECT 1 FROM inbound_events t
        WHERE t.seq = p.tail_seq AND t.status = 'pending' AND t.coalesce_key = NEW.coalesce_key AND t.provider = NEW.provider) THEN
    RETURN NULL;
  END IF;
  NEW.seq := nextval('inbound_events_seq_seq');
  -- Here, not after the insert: a later row of the same multi-row INSERT must see it (AFTER ROW triggers
  -- run at the end of the statement). A row then dropped by ON CONFLICT leaves a tail that matches nothing.
  UPDATE event_partitions SET tail_seq = NEW.seq WHERE key = NEW.partition_key;
  RETURN NEW;
END
$function$;
`;

const DOWN_ISQ_AFTER_INSERT = `
CREATE OR REPLACE FUNCTION public.isq_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
BEGIN
  IF NEW.status NOT IN ('pending', 'failed', 'processing', 'held') THEN RETURN NULL; END IF;
  UPDATE event_partitions
     SET head_seq = NEW.seq,
         priority = NEW.priority,
         ready_at = CASE NEW.status WHEN 'held' THEN NULL WHEN 'processing' THEN COALESCE(NEW.locked_until, now())
                                    ELSE COALESCE(NEW.next_attempt_at, now()) END
   WHERE key = NEW.partition_key AND head_seq IS NULL;
  IF FOUND THEN PERFORM pg_notify('inbound_events', ''); END IF;
  RETURN NULL;
END
$function$;
`;

const DOWN_ISQ_REFRESH = `
CREATE OR REPLACE FUNCTION public.isq_refresh(p_keys text[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  k text;
  p event_partitions%ROWTYPE;
  h record;
  woke boolean := false;
BEGIN
  FOR k IN SELECT DISTINCT u FROM unnest(p_keys) u WHERE u IS NOT NULL ORDER BY 1 LOOP
    SELECT * INTO p FROM event_partitions WHERE key = k FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      INSERT INTO event_partitions (key) VALUES (k) ON CONFLICT (key) DO NOTHING;
      SELECT * INTO p FROM event_partitions WHERE key = k FOR NO KEY UPDATE;
    END IF;
    IF p.claim_token IS NOT NULL AND EXISTS (
         SELECT 1 FROM inbound_events WHERE seq = p.head_seq AND status = 'processing' AND claim_token = p.claim_token) THEN
      CONTINUE;
    END IF;
    SELECT e.seq, e.status, e.priority, e.next_attempt_at INTO h FROM inbound_events e
     WHERE e.partition_key = k AND e.status IN ('pending', 'failed', 'processing', 'held')
     ORDER BY e.seq LIMIT 1;
    IF NOT FOUND THEN
      UPDATE event_partitions SET head_seq = NULL, ready_at = NULL, claim_token = NULL WHERE key = k;
    ELSE
      -- A processing head without the item's claim is an orphan (its claim was lost): claimable again.
      UPDATE event_partitions
         SET head_seq = h.seq, priority = h.priority, claim_token = NULL,
             ready_at = CASE h.status WHEN 'held' THEN NULL WHEN 'processing' THEN now() ELSE COALESCE(h.next_attempt_at, now()) END
       WHERE key = k;
      IF h.status IN ('pending', 'processing') THEN woke := true; END IF;
    END IF;
  END LOOP;
  IF woke THEN PERFORM pg_notify('inbound_events', ''); END IF;
END
$function$;
`;

const DOWN_ISQ_HEARTBEAT = `
CREATE OR REPLACE FUNCTION public.isq_heartbeat(p_ids uuid[], p_tokens uuid[], p_lock_ms integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  n int;
BEGIN
  PERFORM 1 FROM event_partitions p
   WHERE p.claim_token = ANY(p_tokens)
     AND p.key IN (SELECT e.partition_key FROM inbound_events e WHERE e.id = ANY(p_ids))
   ORDER BY p.key FOR NO KEY UPDATE;
  UPDATE event_partitions p SET ready_at = now() + p_lock_ms * interval '1 millisecond'
   WHERE p.claim_token = ANY(p_tokens)
     AND p.key IN (SELECT e.partition_key FROM inbound_events e WHERE e.id = ANY(p_ids));
  UPDATE inbound_events e SET locked_until = now() + p_lock_ms * interval '1 millisecond'
    FROM unnest(p_ids, p_tokens) AS v(id, token)
   WHERE e.id = v.id AND e.claim_token = v.token AND e.status = 'processing';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$function$;
`;

const DOWN_ISQ_RELEASE = `
CREATE OR REPLACE FUNCTION public.isq_release(p_ids uuid[], p_tokens uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  ks text[];
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e WHERE e.id = ANY(p_ids);
  IF ks IS NULL THEN RETURN; END IF;
  PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
  UPDATE inbound_events e
     SET status = 'pending', attempts = GREATEST(e.attempts - 1, 0), claim_token = NULL, locked_until = NULL, next_attempt_at = now()
    FROM unnest(p_ids, p_tokens) AS v(id, token)
   WHERE e.id = v.id AND e.claim_token = v.token AND e.status = 'processing';
  UPDATE event_partitions p SET claim_token = NULL WHERE p.key = ANY(ks) AND p.claim_token = ANY(p_tokens);
  PERFORM isq_refresh(ks);
END
$function$;
`;

export class QueueIndexProbes1796175000000 implements MigrationInterface {
    name = 'QueueIndexProbes1796175000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(UP_ISQ_CLAIM);
        await queryRunner.query(UP_ISQ_SETTLE);
        await queryRunner.query(UP_ISQ_BEFORE_INSERT);
        await queryRunner.query(UP_ISQ_AFTER_INSERT);
        await queryRunner.query(UP_ISQ_REFRESH);
        await queryRunner.query(UP_ISQ_HEARTBEAT);
        await queryRunner.query(UP_ISQ_RELEASE);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN_ISQ_CLAIM);
        await queryRunner.query(DOWN_ISQ_SETTLE);
        await queryRunner.query(DOWN_ISQ_BEFORE_INSERT);
        await queryRunner.query(DOWN_ISQ_AFTER_INSERT);
        await queryRunner.query(DOWN_ISQ_REFRESH);
        await queryRunner.query(DOWN_ISQ_HEARTBEAT);
        await queryRunner.query(DOWN_ISQ_RELEASE);
    }
}
