import { Field, ID, InputType } from 'type-graphql';
import { IsEmail, Length, MaxLength } from 'class-validator';
import { RepRole } from '../../shared/enums';

@InputType()
export class CreateTeamInput {
  @Field() @Length(1, 120) name!: string;
  @Field() @Length(1, 60) region!: string;
}

@InputType({ description: 'A new person on the sales team; active from creation.' })
export class CreateRepInput {
  @Field() @Length(1, 160) name!: string;
  @Field() @MaxLength(254) @IsEmail() email!: string;
  @Field(() => RepRole) role!: RepRole;
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => Date, { nullable: true, description: 'Now by default.' }) hiredAt?: Date;
}
