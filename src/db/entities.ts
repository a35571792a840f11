import { Team } from '../modules/team/team.entity';
import { Rep } from '../modules/rep/rep.entity';
import { Account } from '../modules/account/account.entity';
import { Product } from '../modules/product/product.entity';
import { PipelineStage } from '../modules/pipeline/stage.entity';
import { Lead } from '../modules/lead/lead.entity';
import { Deal } from '../modules/deal/deal.entity';
import { DealStageChange } from '../modules/deal/stage-change.entity';
import { DealChange } from '../modules/deal/deal-change.entity';
import { Activity } from '../modules/activity/activity.entity';
import { Order } from '../modules/order/order.entity';
import { Spend } from '../modules/spend/spend.entity';
import { Target } from '../modules/targets/target.entity';
import { ForecastAdjustment, ForecastSnapshot } from '../modules/forecast/forecast.entity';
import { BaseEntity } from '../shared/base.entity';
import { DealScore, LeadScore, ModelVersion } from '../modules/scoring/scoring.entity';
import { ImportRun } from '../modules/import/import-run.entity';
import { ApiKey } from '../modules/auth/api-key.entity';
import { ScheduledRun } from '../modules/forecast-snapshots/scheduled-run.entity';
import { AdminAuditEntry } from '../modules/admin/admin-audit.entity';
import { DataVersion, DataVersionTouch } from '../shared/answer-cache/data-version.entity';

/** Every persisted entity. Feature modules add theirs here. */
export const ENTITIES = [
  BaseEntity,
  Team,
  Rep,
  Account,
  Product,
  PipelineStage,
  Lead,
  Deal,
  DealStageChange,
  DealChange,
  Activity,
  Order,
  Spend,
  Target,
  ModelVersion,
  LeadScore,
  DealScore,
  ImportRun,
  ApiKey,
  ForecastSnapshot,
  ForecastAdjustment,
  ScheduledRun,
  AdminAuditEntry,
  DataVersion,
  DataVersionTouch,
];
