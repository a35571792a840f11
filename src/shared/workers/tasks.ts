/**
 * What the worker threads run: each entry is a pure entry point taking plain, structured-cloneable data. The
 * computations live in their feature folders; this file only lists them for the pool.
 */
import { scoreTask, trainTask } from '../../modules/scoring/training.task';
import {
  backtestFromSourceTask,
  cycleDurationsFromSourceTask,
  forecastFromSourceTask,
  loadFactSourceTask,
  stageWeightsFromSourceTask,
} from '../../modules/forecast/forecast.task';

export const TASKS = {
  loadFactSource: loadFactSourceTask,
  forecastFromSource: forecastFromSourceTask,
  backtestFromSource: backtestFromSourceTask,
  stageWeightsFromSource: stageWeightsFromSourceTask,
  cycleDurationsFromSource: cycleDurationsFromSourceTask,
  train: trainTask,
  score: scoreTask,
};

export type Tasks = typeof TASKS;
export type TaskName = keyof Tasks;

/** The worker's entry (piscina calls the default export): one named task with its input. */
export default function runTask({ task, input }: { task: TaskName; input: unknown }): unknown {
  const fn = TASKS[task] as ((input: unknown) => unknown) | undefined;
  if (!fn) throw new Error(`Unknown worker task: ${task}`);
  return fn(input);
}
