import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface AvailabilityWindow {
  start: Date;
  end: Date;
}

@Injectable()
export class AvailabilityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The resource's windows become exactly `windows` (one transaction: the caller's, or our own). */
  async replaceForResource(resourceId: string, connectionId: string, windows: AvailabilityWindow[], manager?: EntityManager): Promise<void> {
    const run = async (m: EntityManager) => {
      // An identical replacement writes nothing, so the change feed records nothing.
      const current: Array<{ s: Date; e: Date; c: string }> = await m.query(
        `SELECT starts_at AS s, ends_at AS e, connection_id AS c FROM availability_windows WHERE resource_id = $1`, [resourceId]);
      if (current.every((w) => w.c === connectionId) && sameWindows(current, windows)) return;
      await m.query(`DELETE FROM availability_windows WHERE resource_id = $1`, [resourceId]);
      if (windows.length === 0) return;
      await m.query(
        `INSERT INTO availability_windows (resource_id, connection_id, starts_at, ends_at)
         SELECT $1, $2, s, e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t(s, e)`,
        [resourceId, connectionId, windows.map((w) => w.start), windows.map((w) => w.end)],
      );
    };
    if (manager) await run(manager);
    else await this.dataSource.transaction(run);
  }
}

function sameWindows(current: Array<{ s: Date; e: Date }>, next: AvailabilityWindow[]): boolean {
  if (current.length !== next.length) return false;
  const key = (s: Date, e: Date) => `${s.getTime()}/${e.getTime()}`;
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const a = current.map((w) => key(w.s, w.e)).sort(order);
  const b = next.map((w) => key(w.start, w.end)).sort(order);
  return a.every((k, i) => k === b[i]);
}
