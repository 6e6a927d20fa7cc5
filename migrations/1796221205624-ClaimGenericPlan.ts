import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * isq_claim with one plan per session instead of one per call. Planning was a quarter of a claim's database time
 * (processing bench, pg_stat_statements with nested statements: ~0.7 ms per call, 0.13 ms per claimed event). Per
 * call planning was there because the generic plan of `UPDATE event_partitions … FROM picked` did not know
 * `LIMIT room` and hash-joined event_partitions in full; the picked keys are now an array (`ARRAY(SELECT … LIMIT
 * room FOR UPDATE SKIP LOCKED)`) and the update probes the primary key with `key = ANY(picked)`, a plan that does
 * not depend on the limit or the statistics. Otherwise the body of QueueIndexProbes' isq_claim. Written by hand:
 * TypeORM does not diff functions.
 */
const UP_ISQ_CLAIM = `
CREATE OR REPLACE FUNCTION public.isq_claim(p_limit integer, p_lock_ms integer, p_max_attempts integer, p_priorities smallint[])
 RETURNS SETOF inbound_events
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  pr smallint;
  room int := p_limit;
  picked text[];
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
    picked := ARRAY(
      SELECT key FROM event_partitions
       WHERE priority = pr AND ready_at <= now()
       ORDER BY ready_at
       LIMIT room
       FOR UPDATE SKIP LOCKED);
    CONTINUE WHEN cardinality(picked) = 0;
    WITH upd AS (
      UPDATE event_partitions p SET claim_token = gen_random_uuid(), ready_at = now() + lock_for
       WHERE p.key = ANY(picked) AND p.head_seq IS NOT NULL
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

export class ClaimGenericPlan1796221205624 implements MigrationInterface {
    name = 'ClaimGenericPlan1796221205624'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(UP_ISQ_CLAIM);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN_ISQ_CLAIM);
    }
}
