import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BookingStatus } from './entities/booking.entity';

export interface BookingUpsert {
  resourceId: string;
  connectionId: string;
  provider: string;
  externalId: string;
  startsAt: Date;
  endsAt: Date | null;
  status: BookingStatus;
  people: number | null;
  price: number | null;
  currency: string | null;
}

@Injectable()
export class BookingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Idempotent on (provider, connection, externalId); updated_at moves only when something changed. */
  async upsert(b: BookingUpsert, manager?: EntityManager): Promise<{ id: string; changed: boolean }> {
    const rows: Array<{ id: string }> = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO bookings AS b (resource_id, connection_id, provider, external_id, starts_at, ends_at, status, people, price, currency, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
       ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
         resource_id = EXCLUDED.resource_id, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, status = EXCLUDED.status,
         people = EXCLUDED.people, price = EXCLUDED.price, currency = EXCLUDED.currency, updated_at = now()
       WHERE (b.resource_id, b.starts_at, b.ends_at, b.status, b.people, b.price, b.currency)
             IS DISTINCT FROM (EXCLUDED.resource_id, EXCLUDED.starts_at, EXCLUDED.ends_at, EXCLUDED.status, EXCLUDED.people, EXCLUDED.price, EXCLUDED.currency)
       RETURNING b.id`,
      [b.resourceId, b.connectionId, b.provider, b.externalId, b.startsAt, b.endsAt, b.status, b.people, b.price, b.currency],
    );
    if (rows.length > 0) return { id: rows[0].id, changed: true };
    const [existing] = await (manager ?? this.dataSource.manager).query(
      `SELECT id FROM bookings WHERE provider = $1 AND connection_id = $2 AND external_id = $3`, [b.provider, b.connectionId, b.externalId]);
    return { id: existing.id, changed: false };
  }

  /** Returns false when no such booking exists (nothing to cancel). */
  async cancel(provider: string, connectionId: string, externalId: string, manager?: EntityManager): Promise<boolean> {
    const res = await (manager ?? this.dataSource.manager).query(
      `UPDATE bookings SET status = 'cancelled', updated_at = CASE WHEN status = 'cancelled' THEN updated_at ELSE now() END
        WHERE provider = $1 AND connection_id = $2 AND external_id = $3`,
      [provider, connectionId, externalId],
    );
    return (res as [unknown[], number])[1] > 0;
  }

  async findByExternalId(provider: string, connectionId: string, externalId: string, manager?: EntityManager): Promise<Record<string, any> | null> {
    const [row] = await (manager ?? this.dataSource.manager).query(
      `SELECT * FROM bookings WHERE provider = $1 AND connection_id = $2 AND external_id = $3`, [provider, connectionId, externalId]);
    return row ?? null;
  }
}
