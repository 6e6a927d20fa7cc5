import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Finished events leave the hot queue (issue 10, table growth). inbound_events keeps what is in line plus the
 * last EVENT_ARCHIVE_AFTER_MINUTES of finished events; isq_archive moves older done / ignored events, in one
 * statement, into inbound_events_archive, a table partitioned by the UTC day they were archived on. Retention
 * drops whole days (isq_drop_archive_before): no DELETE of a month of rows, no bloat, no vacuum of a 1.3 B-row
 * table. The hot table stays a few hours deep, so its ten indexes stay small.
 *
 * What must still see a finished event reads both: inbound_events_all (the admin list and detail, a Lockme
 * message id seen again, a repair's "changed since"), isq_later_done (stale replays), and intake's trigger,
 * which refuses an idempotency key already archived. A unique index cannot span the two tables (nor the
 * archive's partitions), so that check relies on the item lock: intake takes the item row FOR NO KEY UPDATE
 * before it looks, and isq_archive moves an item's events only under the same lock (SKIP LOCKED: an item in
 * intake waits for the next round). Every idempotency key belongs to one item (Lockme: its connection's item;
 * a resync repair: its resource's), so the two cannot interleave.
 *
 * Replaying an archived event moves it back with its id and a new seq: it is the item's newest event, queued
 * behind what is in line. The archive's columns are the hot table's, in order, then archived_at (the view and
 * isq_archive rely on it; test/schema.e2e-spec.ts checks it): a later migration adding a column to
 * inbound_events must rebuild the archive and the view the same way. Written by hand: TypeORM does not diff
 * partitioned tables, views or functions.
 */
const UP = `
CREATE TABLE inbound_events_archive (LIKE inbound_events, archived_at timestamptz NOT NULL) PARTITION BY RANGE (archived_at);
CREATE INDEX ix_inbound_events_archive_id ON inbound_events_archive (id);
CREATE INDEX ix_inbound_events_archive_seq ON inbound_events_archive (seq);
CREATE INDEX ix_inbound_events_archive_item ON inbound_events_archive (partition_key, seq);
CREATE INDEX ix_inbound_events_archive_provider_seq ON inbound_events_archive (provider, seq);
CREATE INDEX ix_inbound_events_archive_connection_seq ON inbound_events_archive (connection_id, seq);
CREATE INDEX ix_inbound_events_archive_idempotency ON inbound_events_archive (provider, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE VIEW inbound_events_all AS
  SELECT e.*, NULL::timestamptz AS archived_at FROM inbound_events e
  UNION ALL
  SELECT a.* FROM inbound_events_archive a;

-- The archive's partition for one UTC day, created when missing.
CREATE FUNCTION isq_archive_partition(p_day date) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  part text := 'inbound_events_archive_' || to_char(p_day, 'YYYYMMDD');
BEGIN
  IF to_regclass(part) IS NULL THEN
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF inbound_events_archive FOR VALUES FROM (%L) TO (%L)',
      part, p_day::timestamp AT TIME ZONE 'UTC', (p_day + 1)::timestamp AT TIME ZONE 'UTC');
  END IF;
END
$fn$;

-- Drops the archive's days that ended at or before p_before; the number dropped.
CREATE FUNCTION isq_drop_archive_before(p_before timestamptz) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  n int := 0;
BEGIN
  FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'inbound_events_archive'::regclass AND c.relname ~ '^inbound_events_archive_[0-9]{8}$'
              AND (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= p_before
            ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', r.relname);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;

-- Moves the oldest p_limit done / ignored events received before p_before into the archive, each item under its
-- row lock; items intake holds now wait for the next call. The number moved.
CREATE FUNCTION isq_archive(p_before timestamptz, p_limit int) RETURNS int LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $fn$
DECLARE
  ids uuid[];
  candidates text[];
  ks text[];
  n int;
BEGIN
  PERFORM isq_archive_partition((now() AT TIME ZONE 'UTC')::date);
  ids := ARRAY(SELECT e.id FROM inbound_events e
                WHERE e.received_at < p_before AND e.status IN ('done', 'ignored') ORDER BY e.received_at LIMIT p_limit);
  IF cardinality(ids) = 0 THEN RETURN 0; END IF;
  candidates := ARRAY(SELECT DISTINCT e.partition_key FROM inbound_events e WHERE e.id = ANY(ids));
  -- An idle item's row may be gone (deleteIdleItems): its events are moved under a new one, as intake would make.
  INSERT INTO event_partitions (key) SELECT unnest(candidates) ON CONFLICT (key) DO NOTHING;
  ks := ARRAY(SELECT p.key FROM event_partitions p WHERE p.key = ANY(candidates) ORDER BY p.key FOR NO KEY UPDATE SKIP LOCKED);
  IF cardinality(ks) = 0 THEN RETURN 0; END IF;
  -- The status again, in this statement's snapshot, taken after the locks: a replay (which locks the item too)
  -- that committed meanwhile has made the event pending.
  WITH moved AS (
    DELETE FROM inbound_events e
     WHERE e.id = ANY(ids) AND e.partition_key = ANY(ks) AND e.status IN ('done', 'ignored')
    RETURNING e.*)
  INSERT INTO inbound_events_archive SELECT m.*, now() FROM moved m;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;

-- Whether a later event of the item than seq is done, in the queue or the archive: replaying would apply old
-- data over new.
CREATE FUNCTION isq_later_done(p_key text, p_seq bigint) RETURNS boolean LANGUAGE sql STABLE AS $fn$
  SELECT EXISTS (SELECT 1 FROM inbound_events l WHERE l.partition_key = p_key AND l.seq > p_seq AND l.status = 'done')
      OR EXISTS (SELECT 1 FROM inbound_events_archive l WHERE l.partition_key = p_key AND l.seq > p_seq AND l.status = 'done')
$fn$;

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
  -- In the queue the unique index refuses a repeated key (ON CONFLICT); archived ones are looked up here, after
  -- the item lock, which isq_archive takes too: this statement's snapshot sees a move that held it.
  IF NEW.idempotency_key IS NOT NULL AND EXISTS (
       SELECT 1 FROM inbound_events_archive a WHERE a.provider = NEW.provider AND a.idempotency_key = NEW.idempotency_key) THEN
    RETURN NULL;
  END IF;
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

CREATE OR REPLACE FUNCTION public.isq_replay(p_id uuid, p_force boolean)
 RETURNS text
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
DECLARE
  k text;
  e inbound_events%ROWTYPE;
  a inbound_events_archive%ROWTYPE;
BEGIN
  SELECT partition_key INTO k FROM inbound_events_all WHERE id = p_id;
  IF NOT FOUND THEN RETURN 'not-found'; END IF;
  PERFORM isq_lock_item(k);
  SELECT * INTO a FROM inbound_events_archive WHERE id = p_id;
  IF FOUND THEN
    IF NOT p_force AND isq_later_done(a.partition_key, a.seq) THEN RETURN 'stale'; END IF;
    DELETE FROM inbound_events_archive WHERE id = p_id;
    -- A new seq (the trigger's): the item's newest event, behind what is in line. No coalesce key: it must
    -- not merge into a pending copy and vanish.
    INSERT INTO inbound_events (id, provider, connection_id, event_type, status, idempotency_key, partition_key, priority,
                                payload, raw, headers, received_at, next_attempt_at, request_id)
    VALUES (a.id, a.provider, a.connection_id, a.event_type, 'pending', a.idempotency_key, a.partition_key, a.priority,
            a.payload, a.raw, a.headers, a.received_at, now(), a.request_id);
    PERFORM isq_refresh(ARRAY[k]);
    RETURN 'replayed';
  END IF;
  SELECT * INTO e FROM inbound_events WHERE id = p_id;
  IF NOT FOUND THEN RETURN 'not-found'; END IF;
  IF e.status NOT IN ('done', 'dead', 'ignored', 'failed', 'held') THEN RETURN e.status; END IF;
  IF NOT p_force AND isq_later_done(e.partition_key, e.seq) THEN RETURN 'stale'; END IF;
  UPDATE inbound_events SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL,
         last_error = NULL, locked_until = NULL, claim_token = NULL, hold_cause = NULL
   WHERE id = p_id;
  PERFORM isq_refresh(ARRAY[e.partition_key]);
  RETURN 'replayed';
END
$function$;

CREATE OR REPLACE FUNCTION public.isq_replay_dead(p_provider text)
 RETURNS TABLE(replayed integer, stale integer)
 LANGUAGE plpgsql
AS $function$
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
       AND NOT isq_later_done(e.partition_key, e.seq)
    RETURNING 1)
  SELECT count(*) INTO replayed FROM upd;
  SELECT count(*) INTO stale FROM inbound_events e WHERE e.status = 'dead' AND (p_provider IS NULL OR e.provider = p_provider);
  PERFORM isq_refresh(ks);
  RETURN NEXT;
END
$function$;
`;

const DOWN = `
CREATE OR REPLACE FUNCTION public.isq_replay_dead(p_provider text)
 RETURNS TABLE(replayed integer, stale integer)
 LANGUAGE plpgsql
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION public.isq_replay(p_id uuid, p_force boolean)
 RETURNS text
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
AS $function$
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
$function$;

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

DROP FUNCTION isq_later_done(text, bigint);
DROP FUNCTION isq_archive(timestamptz, int);
DROP FUNCTION isq_drop_archive_before(timestamptz);
DROP FUNCTION isq_archive_partition(date);
DROP VIEW inbound_events_all;
DROP TABLE inbound_events_archive;
`;

export class EventArchive1796228856053 implements MigrationInterface {
    name = 'EventArchive1796228856053'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(UP);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN);
    }
}
