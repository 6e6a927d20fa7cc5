import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The last release of each hold cause, as the releasing transaction's id: a worker about to hold an event
 * for this cause keeps it pending instead when that release is not visible in its claim's snapshot.
 */
@Entity('hold_causes')
export class HoldCauseEntity {
  @PrimaryColumn({ type: 'varchar', length: 300 }) cause: string;
  /** xid8 of the last releasing transaction (as bigint). */
  @Column({ name: 'released_xid', type: 'bigint', nullable: true }) releasedXid: string | null;
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true }) releasedAt: Date | null;
}
