import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Claim by item (issue 9): event_partitions holds one row per item; intake locks it before an event gets its
 * seq, the claim takes due items with SKIP LOCKED and runs each one's head under a fencing token, and holds
 * record their cause. Parking and its sweep are gone. The isq_* functions below are the queue's only writers
 * of event_partitions; they lock item rows in key order before event rows, everywhere, so they cannot deadlock
 * with each other or with intake. Written by hand after the generated table changes (TypeORM does not diff
 * functions or triggers).
 */
const QUEUE_FUNCTIONS = `
-- Intake, before each event row: lock (or create) its item's row, so events of one item are stored one
-- transaction at a time and get their seq under that lock (seq order = commit order within an item); an
-- identical body coalesces into the item's last event while that one is still pending, never past a later one.
CREATE FUNCTION isq_before_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
$fn$;

-- After each stored event: the item's head when the item was idle.
CREATE FUNCTION isq_after_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
$fn$;

CREATE TRIGGER isq_before_insert BEFORE INSERT ON inbound_events FOR EACH ROW EXECUTE FUNCTION isq_before_insert();
CREATE TRIGGER isq_after_insert AFTER INSERT ON inbound_events FOR EACH ROW EXECUTE FUNCTION isq_after_insert();

-- Recomputes items from their events (after a finish, a release, a replay), each under its row lock, in key
-- order. A running item (its head processing under the item's claim token) is left to its claim holder.
CREATE FUNCTION isq_refresh(p_keys text[]) RETURNS void LANGUAGE plpgsql AS $fn$
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
$fn$;

-- Claims up to p_limit items whose head is due, by priority then due time, skipping items another
-- transaction holds; each claim gets a new token, and the head event becomes processing under it. A head
-- still processing under an expired claim belonged to a process that died or stalled: that counts as an
-- attempt, and once p_max_attempts are spent the event is dead instead of running again.
CREATE FUNCTION isq_claim(p_limit int, p_lock_ms int, p_max_attempts int, p_priorities smallint[])
RETURNS SETOF inbound_events LANGUAGE plpgsql AS $fn$
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
$fn$;

-- Settles claimed events: each applies only while the event is processing under the given token (a worker
-- whose claim expired and was taken over changes nothing). Status done | ignored | dead | failed (retry in
-- p_retry_ms) | held (for p_causes; kept pending instead when that cause, or its provider's, was released
-- after the claim's snapshot: the handler may have read the state from before the release). Returns the
-- ids settled and the status each got.
CREATE FUNCTION isq_settle(p_ids uuid[], p_tokens uuid[], p_status text[], p_notes text[], p_connections uuid[],
                           p_retry_ms bigint[], p_causes text[])
RETURNS TABLE (id uuid, status text) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  ks text[];
  c text;
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e WHERE e.id = ANY(p_ids);
  IF ks IS NULL THEN RETURN; END IF;
  PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
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
  PERFORM isq_refresh(ks);
END
$fn$;

-- Keeps the claims of a live worker: its running and waiting events stay locked for p_lock_ms more.
CREATE FUNCTION isq_heartbeat(p_ids uuid[], p_tokens uuid[], p_lock_ms int) RETURNS int LANGUAGE plpgsql AS $fn$
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
$fn$;

-- Claimed events that never started (a stopping worker): pending again, the claim not counted.
CREATE FUNCTION isq_release(p_ids uuid[], p_tokens uuid[]) RETURNS void LANGUAGE plpgsql AS $fn$
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
$fn$;

-- Releases held events: those of the given causes (and, with p_provider, every held event of that
-- provider). Recorded first, so a worker about to hold an event for one of these causes on a state read
-- before this commit keeps it pending instead (isq_settle). Returns how many were released.
CREATE FUNCTION isq_release_held(p_causes text[], p_provider text) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  ks text[];
  all_causes text[] := COALESCE(p_causes, '{}') || CASE WHEN p_provider IS NULL THEN '{}'::text[] ELSE ARRAY['provider:' || p_provider] END;
  n int;
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e
   WHERE e.status = 'held' AND (e.hold_cause = ANY(all_causes) OR e.provider = p_provider);
  IF ks IS NOT NULL THEN
    PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
  END IF;
  INSERT INTO hold_causes (cause, released_xid, released_at)
  SELECT DISTINCT u, pg_current_xact_id()::text::bigint, now() FROM unnest(all_causes) u ORDER BY 1
  ON CONFLICT (cause) DO UPDATE SET released_xid = EXCLUDED.released_xid, released_at = EXCLUDED.released_at;
  WITH upd AS (
    UPDATE inbound_events e SET status = 'pending', next_attempt_at = now(), hold_cause = NULL
     WHERE e.status = 'held' AND (e.hold_cause = ANY(all_causes) OR e.provider = p_provider)
    RETURNING e.partition_key)
  SELECT array_agg(DISTINCT partition_key), count(*) INTO ks, n FROM upd;
  IF ks IS NOT NULL THEN PERFORM isq_refresh(ks); END IF;
  RETURN n;
END
$fn$;

-- Runs a finished, failed, held or dead event again. 'stale' (nothing changed) when a later event of its
-- item is already done and p_force is false: it would apply old data over new.
CREATE FUNCTION isq_replay(p_id uuid, p_force boolean) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  e inbound_events%ROWTYPE;
BEGIN
  SELECT * INTO e FROM inbound_events WHERE id = p_id;
  IF NOT FOUND THEN RETURN 'not-found'; END IF;
  PERFORM isq_lock_item(e.partition_key);
  SELECT * INTO e FROM inbound_events WHERE id = p_id;
  IF e.status NOT IN ('done', 'dead', 'ignored', 'failed', 'held') THEN RETURN e.status; END IF;
  IF NOT p_force AND EXISTS (SELECT 1 FROM inbound_events l WHERE l.partition_key = e.partition_key AND l.seq > e.seq AND l.status = 'done') THEN
    RETURN 'stale';
  END IF;
  UPDATE inbound_events SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL,
         last_error = NULL, locked_until = NULL, claim_token = NULL, hold_cause = NULL
   WHERE id = p_id;
  PERFORM isq_refresh(ARRAY[e.partition_key]);
  RETURN 'replayed';
END
$fn$;

-- Every dead event (of a provider) again, except those a later done event of their item made stale.
CREATE FUNCTION isq_replay_dead(p_provider text) RETURNS TABLE (replayed int, stale int) LANGUAGE plpgsql AS $fn$
DECLARE
  ks text[];
BEGIN
  SELECT array_agg(DISTINCT e.partition_key) INTO ks FROM inbound_events e WHERE e.status = 'dead' AND (p_provider IS NULL OR e.provider = p_provider);
  IF ks IS NULL THEN replayed := 0; stale := 0; RETURN NEXT; RETURN; END IF;
  PERFORM 1 FROM event_partitions p WHERE p.key = ANY(ks) ORDER BY p.key FOR NO KEY UPDATE;
  WITH upd AS (
    UPDATE inbound_events e SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL, last_error = NULL,
           locked_until = NULL, claim_token = NULL
     WHERE e.status = 'dead' AND (p_provider IS NULL OR e.provider = p_provider)
       AND NOT EXISTS (SELECT 1 FROM inbound_events l WHERE l.partition_key = e.partition_key AND l.seq > e.seq AND l.status = 'done')
    RETURNING 1)
  SELECT count(*) INTO replayed FROM upd;
  SELECT count(*) INTO stale FROM inbound_events e WHERE e.status = 'dead' AND (p_provider IS NULL OR e.provider = p_provider);
  PERFORM isq_refresh(ks);
  RETURN NEXT;
END
$fn$;

-- The item's row, locked (created when housekeeping removed it while idle).
CREATE FUNCTION isq_lock_item(p_key text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  LOOP
    INSERT INTO event_partitions (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
    PERFORM 1 FROM event_partitions WHERE key = p_key FOR NO KEY UPDATE;
    EXIT WHEN FOUND;
  END LOOP;
END
$fn$;
`;

const DROP_QUEUE_FUNCTIONS = `
DROP TRIGGER IF EXISTS isq_before_insert ON inbound_events;
DROP TRIGGER IF EXISTS isq_after_insert ON inbound_events;
DROP FUNCTION IF EXISTS isq_before_insert(), isq_after_insert(), isq_refresh(text[]), isq_claim(int, int, int, smallint[]),
  isq_settle(uuid[], uuid[], text[], text[], uuid[], bigint[], text[]), isq_heartbeat(uuid[], uuid[], int), isq_release(uuid[], uuid[]),
  isq_release_held(text[], text), isq_replay(uuid, boolean), isq_replay_dead(text), isq_lock_item(text);
`;

export class QueueByItem1796155790756 implements MigrationInterface {
    name = 'QueueByItem1796155790756'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_held_connection"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_inbound_events_coalesce_pending"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_parked"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_claim"
        `);
        await queryRunner.query(`
            CREATE TABLE "event_partitions" (
                "key" character varying(500) NOT NULL,
                "head_seq" bigint,
                "tail_seq" bigint,
                "priority" smallint NOT NULL DEFAULT '5',
                "ready_at" TIMESTAMP WITH TIME ZONE,
                "claim_token" uuid,
                CONSTRAINT "PK_22bd2ea87186fb5badbf6ecb6be" PRIMARY KEY ("key")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_event_partitions_ready" ON "event_partitions" ("priority", "ready_at")
            WHERE ready_at IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "hold_causes" (
                "cause" character varying(300) NOT NULL,
                "released_xid" bigint,
                "released_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_f6c8e98fdfe1bfbf5a12032115b" PRIMARY KEY ("cause")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "parked"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "claim_token" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "claim_snapshot" text
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "hold_cause" character varying(300)
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_held_cause" ON "inbound_events" ("hold_cause")
            WHERE status = 'held'
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_inbound_events_seq" ON "inbound_events" ("seq")
        `);
        await queryRunner.query(QUEUE_FUNCTIONS);
        // Items of the events still in line when this runs; a processing head without a claim token is reclaimed.
        await queryRunner.query(`
            INSERT INTO event_partitions (key, tail_seq)
            SELECT partition_key, max(seq) FROM inbound_events GROUP BY partition_key
            HAVING bool_or(status IN ('pending', 'failed', 'processing', 'held'))
        `);
        await queryRunner.query(`SELECT isq_refresh(ARRAY(SELECT key FROM event_partitions))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DROP_QUEUE_FUNCTIONS);
        await queryRunner.query(`
            DROP INDEX "public"."uq_inbound_events_seq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_held_cause"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "hold_cause"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "claim_snapshot"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "claim_token"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "parked" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            DROP TABLE "hold_causes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_event_partitions_ready"
        `);
        await queryRunner.query(`
            DROP TABLE "event_partitions"
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_claim" ON "inbound_events" USING btree ("priority", "seq")
            WHERE (
                    (
                        (status)::text = ANY (
                            (
                                ARRAY ['pending'::character varying, 'failed'::character varying, 'processing'::character varying]
                            )::text []
                        )
                    )
                    AND (NOT parked)
                )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_parked" ON "inbound_events" USING btree ("partition_key", "seq")
            WHERE parked
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_inbound_events_coalesce_pending" ON "inbound_events" USING btree ("coalesce_key", "provider")
            WHERE (
                    (coalesce_key IS NOT NULL)
                    AND ((status)::text = 'pending'::text)
                )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_held_connection" ON "inbound_events" USING btree ("connection_id")
            WHERE ((status)::text = 'held'::text)
        `);
    }

}
