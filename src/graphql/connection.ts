import type { ClassType } from 'type-graphql';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { Max, Min, MaxLength } from 'class-validator';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

/** `first`/`after` forward pagination. Page size is capped (default 20, at most 100). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1..100 (default 20).' })
  @Min(1)
  @Max(100)
  first?: number;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge of the previous page.' })
  @MaxLength(500)
  after?: string;
}

export interface ConnectionShape<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/** Builds a `XxxConnection` type with `edges { cursor node }`, `pageInfo` and `totalCount`. */
export function Connection<T extends object>(Node: ClassType<T>, name = Node.name) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => Node) node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} records.` })
  class ConnectionType {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;

    totalCount!: () => Promise<number>;

    /** Counted only when asked for: counting a large filtered table is not free. */
    @Field(() => Int, { name: 'totalCount', description: 'Records matching the filters, across all pages.' })
    async total(): Promise<number> {
      return this.totalCount();
    }
  }
  return ConnectionType;
}
