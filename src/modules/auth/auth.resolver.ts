import { Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { Rep } from '../rep/rep.entity';
import { AccessRole } from './identity';

@ObjectType({ description: 'Who the API thinks you are, and what that lets you see.' })
export class Viewer {
  @Field(() => AccessRole) role!: AccessRole;
  @Field(() => ID, { nullable: true }) repId!: string | null;
  @Field(() => ID, { nullable: true }) teamId!: string | null;
  @Field({ description: 'True for MANAGER and above: cost, spend, margin and quota fields are filled in.' }) seesFinancials!: boolean;
  @Field(() => Rep, { nullable: true }) rep!: Rep | null;
}

@Resolver()
export class AuthResolver {
  @Query(() => Viewer, { description: 'The caller: role, rep and team, as the database holds them now (the token only says who).' })
  async me(@Ctx() ctx: Context): Promise<Viewer> {
    const { identity } = ctx;
    return {
      role: identity.role,
      repId: identity.repId == null ? null : String(identity.repId),
      teamId: identity.teamId == null ? null : String(identity.teamId),
      seesFinancials: ctx.access.seesFinancials,
      rep: identity.repId == null ? null : await loadRef(ctx.loaders, Rep, { id: identity.repId }),
    };
  }
}
