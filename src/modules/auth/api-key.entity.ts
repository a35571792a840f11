import { DateTimeType, Entity, Enum, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { BaseEntity } from '../../shared/base.entity';
import { Rep } from '../rep/rep.entity';
import { AccessRole } from './identity';

/** A long-lived credential for an integration. Only the SHA-256 of its secret is stored; the key is shown once. */
@Entity({ tableName: 'api_keys' })
export class ApiKey extends BaseEntity {
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Enum({ items: () => AccessRole })
  role!: AccessRole;

  /** The rep the key acts as (required for every role but ADMIN). */
  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'cascade' })
  rep?: Rel<Rep> | null;

  @Property({ type: 'string', length: 64 })
  secretHash!: string;

  @Property({ type: DateTimeType, nullable: true })
  revokedAt?: Date | null;
}
