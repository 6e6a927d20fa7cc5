import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, EntityManager } from 'typeorm';
import { numberArrayLiteral, patchLosDay, StoredLosDay, timeArrayLiteral, toLosDays } from './los-days.mapper';

export interface LosCell {
  resourceId: string;
  /** YYYY-MM-DD, the calendar date as the provider meant it */
  arrivalDate: string;
  lengthOfStay: number;
  unitsAvailable: number;
  price: number | null;
}

export interface LosUnitsPatch {
  resourceId: string;
  arrivalDate: string;
  lengthOfStay: number;
  unitsAvailable: number;
}

/** One product's rows of a dataset as columns of equal length; each (arrivalDate, lengthOfStay) at most once. */
export interface LosProductRows {
  resourceId: string;
  arrivalDates: readonly string[];
  lengthsOfStay: readonly number[];
  units: readonly number[];
  prices: ReadonlyArray<number | null>;
}

export interface LosDatasetTarget {
  locationId: string;
  channel: string;
  connectionId: string;
  datasetKey: string;
  currency: string | null;
}

/**
 * `copy`: COPY FROM STDIN (pg-copy-streams), `insert`: INSERT … SELECT FROM unnest(arrays). Same rows, same
 * transaction; scripts/los-load.mjs `--writers` measures both (README "Performance").
 */
export type LosWriteMode = 'copy' | 'insert';

/** Rows per statement: one statement is written while the caller maps the next chunk. */
const CHUNK = 10_000;

// Array parameters as PostgreSQL array literals built here: for 500k-row datasets this is several times
// cheaper than node-postgres' generic array serialisation (measured with scripts/los-load.mjs).
const PLAIN_ELEMENT = /^[A-Za-z0-9_.:+-]+$/;
function textArray(values: ReadonlyArray<string>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += PLAIN_ELEMENT.test(v) && !/^null$/i.test(v) ? v : `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  }
  return `${out}}`;
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped; null is \N. */
function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

const COLUMNS = 'resource_id, channel, arrival_date, location_id, connection_id, units, prices, currency, dataset_key, account_id';

/**
 * Writes one dataset's cells into `los_days` (a row per product and arrival date) in the caller's transaction, in
 * statements of about CHUNK cells. The
 * writer's statements run one after another on the transaction's connection (node-postgres wants one query at
 * a time per client), but `add` does not wait for them: it builds the next chunk while PostgreSQL writes the
 * previous one, and waits only before sending, so at most one chunk is in flight and one more is built. An
 * error surfaces from the next `add`, `settle` or `finish`; the caller then rolls back.
 */
export class LosDatasetWriter {
  /** Cells sent so far. */
  rows = 0;
  /** Time the caller spent waiting for PostgreSQL to finish a statement before it could send the next (ms). */
  waitedMs = 0;
  private pending: LosProductRows[] = [];
  private pendingText: string[] = [];
  private pendingRows = 0;
  /** Settles once every statement sent so far has finished; never rejects (see `failed`). */
  private tail: Promise<void> = Promise.resolve();
  private failed: unknown = null;
  private readonly constants: { copy: string; head: string; tail: string };

  constructor(
    private readonly m: EntityManager,
    private readonly client: PoolClient,
    readonly target: LosDatasetTarget,
    readonly mode: LosWriteMode,
    /** The location's account when the dataset opened (its row is share-locked until the commit). */
    readonly accountId: string | null,
  ) {
    const t = target;
    this.constants = {
      head: `\t${copyText(t.channel)}\t`,
      copy: `\t${copyText(t.locationId)}\t${copyText(t.connectionId)}\t`,
      tail: `\t${copyText(t.currency)}\t${copyText(t.datasetKey)}\t${copyText(accountId)}\n`,
    };
  }

  /**
   * Queues a product's rows (their resource must not have rows of this channel under another location: see
   * `retireElsewhere`). `relisted`: the product was listed before in this dataset, so its cells may repeat
   * rows already written; they are upserted instead, and the later listing wins.
   */
  async add(rows: LosProductRows, relisted = false): Promise<void> {
    if (rows.arrivalDates.length === 0) return;
    if (relisted) {
      await this.flush();
      for (let i = 0; i < rows.arrivalDates.length; i += CHUNK) {
        const part = slice(rows, i, i + CHUNK);
        const params = this.insertParams([part]);
        await this.settle();
        this.rows += part.arrivalDates.length;
        void this.enqueue(() => this.client.query(UPSERT_SQL, params)).catch(() => undefined);
      }
      return;
    }
    // COPY text is built product by product, so no single step keeps the event loop long.
    if (this.mode === 'copy') this.pendingText.push(this.copyRows(rows));
    else this.pending.push(rows);
    this.pendingRows += rows.arrivalDates.length;
    if (this.pendingRows >= CHUNK) await this.flush();
  }

  /**
   * Runs a statement of the caller's in the writer's sequence (e.g. a resource upsert through another
   * repository, with the transaction's manager): after the statements sent before it, before those after.
   * Its error fails the dataset like the writer's own.
   */
  enqueue<T>(run: () => Promise<T>): Promise<T> {
    const p = this.tail.then(() => (this.failed ? Promise.reject(this.failed) : run()));
    this.tail = p.then(() => undefined, (e) => {
      this.failed ??= e;
    });
    return p;
  }

  /** Deletes this channel's rows of these resources under other locations (a resort that was mapped elsewhere before). */
  retireElsewhere(resourceIds: string[]): void {
    if (resourceIds.length === 0) return;
    void this.enqueue(() => this.client.query(
      `DELETE FROM los_days WHERE channel = $1 AND location_id <> $2 AND resource_id = ANY($3::varchar[])`,
      [this.target.channel, this.target.locationId, textArray(resourceIds)],
    )).catch(() => undefined);
  }

  private async wait(): Promise<void> {
    const t = performance.now();
    await this.settle();
    this.waitedMs += performance.now() - t;
  }

  /** Waits for everything sent so far; throws the first error. */
  async settle(): Promise<void> {
    await this.tail;
    if (this.failed) throw this.failed;
  }

  /** Sends the rows still pending, waits for every statement, then records the dataset key. Returns the rows written. */
  async finish(): Promise<number> {
    await this.flush();
    await this.settle();
    const t = this.target;
    await this.m.query(
      `INSERT INTO los_datasets (location_id, channel, connection_id, dataset_key, loaded_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (location_id, channel) DO UPDATE SET dataset_key = EXCLUDED.dataset_key, connection_id = EXCLUDED.connection_id, loaded_at = now()`,
      [t.locationId, t.channel, t.connectionId, t.datasetKey],
    );
    return this.rows;
  }

  /** The dataset's currency turned out other than the rows were written with (it came after the products). */
  async setCurrency(currency: string | null): Promise<void> {
    await this.settle();
    if (currency === this.target.currency) return;
    await this.m.query(`UPDATE los_days SET currency = $3 WHERE location_id = $1 AND channel = $2`, [this.target.locationId, this.target.channel, currency]);
  }

  /** A product's rows were written under another resource id (a concurrent dataset created the product first). */
  async moveRows(fromResourceId: string, toResourceId: string): Promise<void> {
    await this.settle();
    await this.m.query(
      `UPDATE los_days SET resource_id = $4 WHERE location_id = $1 AND channel = $2 AND resource_id = $3`,
      [this.target.locationId, this.target.channel, fromResourceId, toResourceId],
    );
  }

  /** Builds the pending rows' statement while the previous one runs, then sends it once that one is done. */
  private async flush(): Promise<void> {
    const n = this.pendingRows;
    if (n === 0) return;
    this.pendingRows = 0;
    if (this.mode === 'copy') {
      const parts = this.pendingText;
      this.pendingText = [];
      await this.wait();
      this.rows += n;
      void this.enqueue(() => this.copy(parts)).catch(() => undefined);
    } else {
      const params = this.insertParams(this.pending);
      this.pending = [];
      await this.wait();
      this.rows += n;
      void this.enqueue(() => this.client.query(INSERT_SQL, params)).catch(() => undefined);
    }
  }

  /** One product's days in COPY's text format (array literals hold only digits, dots, signs, commas and NULL). */
  private copyRows(r: LosProductRows): string {
    const { head, copy, tail } = this.constants;
    const rid = copyText(r.resourceId) + head;
    let out = '';
    for (const day of toLosDays(r)) {
      out += `${rid}${day.arrivalDate}${copy}${numberArrayLiteral(day.units)}\t${numberArrayLiteral(day.prices)}${tail}`;
    }
    return out;
  }

  private copy(parts: string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stream = this.client.query(copyFrom(`COPY los_days (${COLUMNS}) FROM STDIN`));
      stream.on('error', reject);
      stream.on('finish', () => resolve());
      for (const part of parts) stream.write(part);
      stream.end();
    });
  }

  private insertParams(batch: LosProductRows[]): unknown[] {
    const r: string[] = [];
    const a: string[] = [];
    const u: string[] = [];
    const p: string[] = [];
    for (const rows of batch) {
      for (const day of toLosDays(rows)) {
        r.push(rows.resourceId);
        a.push(day.arrivalDate);
        u.push(numberArrayLiteral(day.units));
        p.push(numberArrayLiteral(day.prices));
      }
    }
    const t = this.target;
    return [textArray(r), textArray(a), textArray(u), textArray(p), t.channel, t.locationId, t.connectionId, t.currency, t.datasetKey, this.accountId];
  }

}

function slice(r: LosProductRows, from: number, to: number): LosProductRows {
  if (from === 0 && to >= r.arrivalDates.length) return r;
  return {
    resourceId: r.resourceId,
    arrivalDates: r.arrivalDates.slice(from, to),
    lengthsOfStay: r.lengthsOfStay.slice(from, to),
    units: r.units.slice(from, to),
    prices: r.prices.slice(from, to),
  };
}

const INSERT_SQL = `INSERT INTO los_days AS l (${COLUMNS}, updated_at)
  SELECT r, $5, a, $6, $7, u::int[], p::numeric[], $8, $9, $10::uuid, now()
    FROM unnest($1::varchar[], $2::date[], $3::text[], $4::text[]) AS t(r, a, u, p)`;

// A product listed twice: the day it wrote earlier in this transaction takes the later listing's cells, keeps its
// other ones (so every cell of the day has this transaction's time).
const STAYS = 'generate_series(1, greatest(cardinality(l.units), cardinality(EXCLUDED.units))) n';
const UPSERT_SQL = `${INSERT_SQL}
  ON CONFLICT (resource_id, channel, arrival_date) DO UPDATE SET
    location_id = EXCLUDED.location_id, connection_id = EXCLUDED.connection_id,
    units = array(SELECT coalesce(EXCLUDED.units[n], l.units[n]) FROM ${STAYS} ORDER BY n),
    prices = array(SELECT CASE WHEN EXCLUDED.units[n] IS NOT NULL THEN EXCLUDED.prices[n] ELSE l.prices[n] END FROM ${STAYS} ORDER BY n),
    currency = EXCLUDED.currency, dataset_key = EXCLUDED.dataset_key, account_id = EXCLUDED.account_id, updated_at = now(), cell_updated_at = NULL`;

@Injectable()
export class LosRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async currentDatasetKey(locationId: string, channel: string, manager?: EntityManager): Promise<string | null> {
    const [row] = await (manager ?? this.dataSource.manager).query(
      `SELECT dataset_key FROM los_datasets WHERE location_id = $1 AND channel = $2`, [locationId, channel]);
    return row?.dataset_key ?? null;
  }

  /**
   * Starts replacing the LOS rows of (location, channel), in the caller's transaction: deletes them and returns
   * the writer of the new rows. Nothing is visible to others until the caller commits, so readers see the old
   * dataset until then and the new one, whole, after (CONTRACT.md section 5: the rows become exactly the
   * dataset's). Plain COPY / INSERT, no ON CONFLICT (~30 % slower on 511,000 rows): the writer's caller retires
   * the rows of its resources under other locations first, and upserts only a product listed twice.
   */
  async openDataset(m: EntityManager, target: LosDatasetTarget, mode: LosWriteMode = 'copy'): Promise<LosDatasetWriter> {
    if (!m.queryRunner) throw new Error('openDataset needs a transaction manager');
    const client = (await m.queryRunner.connect()) as PoolClient;
    // Share-locked: the listing cannot change account (claim, release) while its rows are written with this one.
    const [location] = await m.query(`SELECT account_id FROM locations WHERE id = $1 FOR SHARE`, [target.locationId]);
    await m.query(`DELETE FROM los_days WHERE channel = $2 AND location_id = $1`, [target.locationId, target.channel]);
    return new LosDatasetWriter(m, client, target, mode, location?.account_id ?? null);
  }

  /**
   * The LOS rows of (location, channel) become exactly `cells`, in the caller's transaction (`openDataset` with
   * every row at once). `cells` must not repeat a (resourceId, arrivalDate, lengthOfStay).
   */
  async replaceDataset(m: EntityManager, target: LosDatasetTarget, cells: LosCell[], mode: LosWriteMode = 'copy'): Promise<number> {
    const writer = await this.openDataset(m, target, mode);
    const byResource = new Map<string, { arrivalDates: string[]; lengthsOfStay: number[]; units: number[]; prices: Array<number | null> }>();
    for (const c of cells) {
      let r = byResource.get(c.resourceId);
      if (!r) byResource.set(c.resourceId, (r = { arrivalDates: [], lengthsOfStay: [], units: [], prices: [] }));
      r.arrivalDates.push(c.arrivalDate);
      r.lengthsOfStay.push(c.lengthOfStay);
      r.units.push(c.unitsAvailable);
      r.prices.push(c.price);
    }
    writer.retireElsewhere([...byResource.keys()]);
    for (const [resourceId, r] of byResource) await writer.add({ resourceId, ...r });
    return writer.finish();
  }

  /**
   * Unmapping: this connection's LOS rows and loaded datasets in the location are deleted, in the caller's
   * transaction, so the next connection mapped there starts clean (its first partials are not "stale" against
   * the old dataset key, and its dataset load finds nothing of the old connection to replace). `rows` counts days.
   */
  async retireConnectionInLocation(connectionId: string, locationId: string, manager: EntityManager): Promise<{ rows: number; datasets: number }> {
    const rows = await manager.query(`DELETE FROM los_days WHERE location_id = $1 AND connection_id = $2`, [locationId, connectionId]);
    const datasets = await manager.query(`DELETE FROM los_datasets WHERE location_id = $1 AND connection_id = $2`, [locationId, connectionId]);
    return { rows: (rows as [unknown[], number])[1], datasets: (datasets as [unknown[], number])[1] };
  }

  /**
   * Partial update: only unitsAvailable of the listed cells of this (location, channel) changes; prices and
   * other cells stay. Cells not loaded yet are inserted without a price. Returns the number of cells written.
   */
  async patchUnits(
    m: EntityManager,
    target: { locationId: string; channel: string; connectionId: string },
    cells: LosUnitsPatch[],
  ): Promise<number> {
    if (cells.length === 0) return 0;
    const days = new Map<string, { resourceId: string; arrivalDate: string; cells: LosUnitsPatch[] }>();
    for (const c of cells) {
      const key = `${c.resourceId}\u0000${c.arrivalDate}`;
      let d = days.get(key);
      if (!d) days.set(key, (d = { resourceId: c.resourceId, arrivalDate: c.arrivalDate, cells: [] }));
      d.cells.push(c);
    }
    const list = [...days.values()];
    // The location first, as a dataset load and an account move take it: then the days, read, merged here and
    // written back whole.
    const [location] = await m.query(`SELECT account_id FROM locations WHERE id = $1 FOR SHARE`, [target.locationId]);
    const stored: Array<{ resource_id: string; day: string; units: Array<number | null>; updated: string; cell_times: Array<string | null> | null }> = await m.query(
      `SELECT resource_id, to_char(arrival_date, 'YYYY-MM-DD') AS day, units, updated_at::text AS updated, cell_updated_at::text[] AS cell_times
         FROM los_days
        WHERE channel = $1 AND (resource_id, arrival_date) IN (SELECT * FROM unnest($2::varchar[], $3::date[]))
        ORDER BY resource_id, arrival_date
          FOR UPDATE`,
      [target.channel, list.map((d) => d.resourceId), list.map((d) => d.arrivalDate)],
    );
    const byKey = new Map<string, StoredLosDay>(stored.map((r) => [`${r.resource_id}\u0000${r.day}`, { units: r.units, updatedAt: r.updated, cellUpdatedAt: r.cell_times }]));
    const r: string[] = [];
    const a: string[] = [];
    const u: string[] = [];
    const t: Array<string | null> = [];
    let changed = 0;
    for (const [key, d] of days) {
      const patch = patchLosDay(byKey.get(key) ?? null, d.cells);
      if (!patch) continue;
      changed += patch.changed;
      r.push(d.resourceId);
      a.push(d.arrivalDate);
      u.push(numberArrayLiteral(patch.units));
      t.push(patch.cellUpdatedAt && timeArrayLiteral(patch.cellUpdatedAt));
    }
    if (r.length === 0) return 0;
    await m.query(
      `INSERT INTO los_days AS l (resource_id, channel, arrival_date, location_id, connection_id, units, prices, account_id, updated_at, cell_updated_at)
       SELECT r, $5, a, $6, $7, u::int[], '{}', $8::uuid, now(), t::timestamptz[]
         FROM unnest($1::varchar[], $2::date[], $3::text[], $4::text[]) AS x(r, a, u, t)
       ON CONFLICT (resource_id, channel, arrival_date) DO UPDATE SET units = EXCLUDED.units, cell_updated_at = EXCLUDED.cell_updated_at`,
      [r, a, u, t, target.channel, target.locationId, target.connectionId, location?.account_id ?? null],
    );
    return changed;
  }
}
