import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed logins per e-mail in a fixed one-minute window; in PostgreSQL so every process counts the same failures. */
@Entity('login_failures')
export class LoginFailureEntity {
  @PrimaryColumn({ name: 'email_key', type: 'varchar', length: 320 }) emailKey: string;
  @Column({ name: 'window_started_at', type: 'timestamptz' }) windowStartedAt: Date;
  @Column({ type: 'int' }) failures: number;
}
