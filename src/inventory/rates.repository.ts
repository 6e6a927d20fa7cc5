import { Injectable } from '@nestjs/common';
import { sha256Hex } from '../common/crypto.util';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { poolOf } from '../database/leader-lock';
import type { RateUnit } from './entities/rate.entity';

export interface RateWrite {
  externalId: string;
  name: string | null;
  price: number | null;
  currency: string | null;
  unit: RateUnit;
}

/**
 * The identity of a price list as a resource JSON carries it: order does not matter (a list replaces the
 * resource's rates whole), every written field does.
 */
export function ratesHash(rates: RateWrite[]): string {
  const rows = rates.map((r) => [r.externalId, r.name, r.price, r.currency, r.unit]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  return sha256Hex(JSON.stringify(rows));
}

/**
 * Every rate write of a connection is one call of a function (migration RatesWritesInFunctions) that first takes
 * the connection's rates lock (transaction-scoped, advisory) and then writes in a statement of its own, so each
 * write reads the rates as the one before it committed them. Without the lock a list replacement whose snapshot
 * missed a rate written meanwhile recorded the list's hash over a rate the list does not have, and the next fetch
 * of the same list skipped the write. Rates move between the resources of a connection, so the lock is the
 * connection's, not a resource's. Taken inside the function, it is held for the write alone, not across round
 * trips through this process (README "Performance").
 *
 * rates_replace deletes the resource's rates not in the list, updates those that differ, inserts the new ones,
 * and records the list's hash on the resource in the same statement, so the hash never names a list that was not
 * written; a rate taken over from another resource clears that resource's hash (its list changed). No row is
 * locked when nothing differs. rates_upsert / rates_remove write one rate and clear the list hash of every
 * resource it was or is on. rates_replace and rates_upsert hold the resource location's mapping to the connection
 * first, as the resource upsert does: after an unmapping committed nothing lands on its retired resources.
 */
const REPLACE_RATES_SQL = `SELECT rates_replace($1, $2::uuid, $3, $4::varchar[], $5::varchar[], $6::numeric[], $7::varchar[], $8::varchar[], $9) AS mapped`;

/** Rates of resources; updated_at moves only on a real change (the change feed carries pricing). */
@Injectable()
export class RatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * In the caller's transaction when given one (the locks are then held until it ends), else in its own. false: the
   * resource's location is not (or no longer) mapped to the connection, nothing written.
   */
  async upsert(owner: { provider: string; connectionId: string; resourceId: string }, rate: RateWrite, manager?: EntityManager): Promise<boolean> {
    const [{ mapped }] = (await (manager ?? this.dataSource.manager).query(`SELECT rates_upsert($1, $2::uuid, $3, $4, $5, $6, $7, $8) AS mapped`,
      [owner.provider, owner.connectionId, rate.externalId, owner.resourceId, rate.name, rate.price, rate.currency, rate.unit])) as Array<{ mapped: boolean }>;
    return mapped;
  }

  async remove(provider: string, connectionId: string, externalId: string, manager?: EntityManager): Promise<number> {
    const [{ n }] = (await (manager ?? this.dataSource.manager).query(
      `SELECT rates_remove($1, $2::uuid, $3) AS n`, [provider, connectionId, externalId])) as Array<{ n: number }>;
    return n;
  }

  /**
   * A resource JSON with a `rates` array: the resource's rates become exactly these, in one statement (its own
   * transaction), which also records the list's hash on the resource. `storedHash`, the hash the resource carried
   * when the event read it: an equal list was written by an earlier fetch and nothing changed it since (every
   * other writer clears the hash), so there is nothing to do, not even a statement. false: the resource's location
   * is not (or no longer) mapped to the connection, nothing written.
   */
  async replaceForResource(owner: { provider: string; connectionId: string; resourceId: string }, rates: RateWrite[], storedHash: string | null = null, manager?: EntityManager): Promise<boolean> {
    const hash = ratesHash(rates);
    if (hash === storedHash) return true;
    const values = [owner.provider, owner.connectionId, owner.resourceId, rates.map((r) => r.externalId), rates.map((r) => r.name),
      rates.map((r) => r.price), rates.map((r) => r.currency), rates.map((r) => r.unit), hash];
    if (manager) return ((await manager.query(REPLACE_RATES_SQL, values)) as Array<{ mapped: boolean }>)[0].mapped;
    // Named: prepared once per pooled connection.
    const { rows } = await poolOf(this.dataSource).query<{ mapped: boolean }>({ name: 'rates-replace-for-resource', text: REPLACE_RATES_SQL, values });
    return rows[0].mapped;
  }
}
