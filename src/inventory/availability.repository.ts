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
