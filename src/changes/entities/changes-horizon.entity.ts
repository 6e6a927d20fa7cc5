import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row: the newest position retention has deleted; a cursor before it gets 410. */
@Entity('changes_horizon')
export class ChangesHorizonEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 }) id: number;
  @Column({ name: 'pruned_xid', type: 'bigint', default: 0 }) prunedXid: string;
  @Column({ name: 'pruned_seq', type: 'bigint', default: 0 }) prunedSeq: string;
}
