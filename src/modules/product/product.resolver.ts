import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { paginate } from '../../graphql/paginate';
import { findOrFail } from '../../shared/ids';
import { Product } from './product.entity';

export const ProductConnection = Connection(Product);

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => ProductConnection, { description: 'Products, by name.' })
  products(@Args() page: PageArgs, @Arg('family', () => String, { nullable: true }) family: string | null, @Ctx() ctx: Context) {
    return paginate(ctx.em, Product, family ? { family } : {}, { name: 'asc' }, page, ctx.config.maxPageSize);
  }

  @Query(() => Product)
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return findOrFail(ctx.em, Product, id, 'id');
  }
}
