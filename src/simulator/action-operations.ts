// POST /v2/images/midjourney/action and /v2/music/suno/action: a follow-up on a parent job named by
// `parentJobId` — 404 when there is no such job, 409 when the action is not available for it
// (the parent is not COMPLETED, is of another model, or is the wrong kind: Midjourney's upsample
// acts on a grid, inpaint/outpaint/pan on an upsample; Suno's stems take no further action).
// Actions have no catalogue entry: each costs a fixed price here (`prices` may override it, by
// `family:action`). The job reports its parent's model; its directives are its own text's and
// those its parent passes on after `[sim:then]`.
import { statusOf } from './job-view.js';
import { images } from './image-operations.js';
import { cdnUrl, checkRules, type ModelRules, validationFailed } from './model-operation.js';
import { tracks } from './music-operations.js';
import type { Operation, SimJob } from './simulator-types.js';

interface ActionRules extends Omit<ModelRules, 'result'> {
  cost: number;
  /** Whether the action can follow `parent` (already known to be a COMPLETED job of the family). */
  follows(parent: SimJob): boolean;
  result(jobId: string): unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isGrid = (parent: SimJob) => parent.action !== 'upsample';
const isUpsample = (parent: SimJob) => parent.action === 'upsample';
const gridAction = (cost: number, count: number): ActionRules => ({
  cost,
  strings: {},
  choices: { index: [1, 2, 3, 4] },
  follows: isGrid,
  result: images(count),
});
const upsampleAction = (required: Omit<ModelRules, 'result'>): ActionRules => ({
  cost: 5,
  ...required,
  follows: isUpsample,
  result: images(4),
});

const MIDJOURNEY: Record<string, ActionRules> = {
  upsample: gridAction(2, 1),
  variation: gridAction(5, 4),
  inpaint: upsampleAction({ strings: { mask: 12_000_000 } }),
  outpaint: upsampleAction({ strings: {}, choices: { zoomRatio: [1.5, 2] } }),
  pan: upsampleAction({ strings: {}, choices: { direction: ['up', 'down', 'left', 'right'] } }),
};

const isSong = (parent: SimJob) => parent.action !== 'stems';
const songAction = (cost: number, strings: Record<string, number> = {}): ActionRules => ({
  cost,
  strings,
  follows: isSong,
  result: (jobId) => tracks(jobId, 2),
});

const SUNO: Record<string, ActionRules> = {
  extend: songAction(6),
  cover: songAction(6),
  add_vocals: songAction(6, { prompt: 5000 }),
  stems: {
    ...songAction(3),
    result: (jobId) => ({ stems: { vocals: cdnUrl(jobId, 1, 'mp3'), instrumental: cdnUrl(jobId, 2, 'mp3') } }),
  },
};

function actionOperation(path: string, family: string, actions: Record<string, ActionRules>): Operation {
  return {
    path,
    accept(body, state) {
      const rules = typeof body.action === 'string' ? actions[body.action] : undefined;
      if (!rules) return validationFailed({ action: [`Expected ${Object.keys(actions).join(' | ')}`] });
      const problems = checkRules(body, rules);
      if (typeof body.parentJobId !== 'string' || !UUID.test(body.parentJobId)) problems.parentJobId = ['Invalid uuid'];
      if (Object.keys(problems).length > 0) return validationFailed(problems);
      const parent = state.jobs.get(body.parentJobId as string);
      if (!parent) return { status: 404, body: { error: 'Parent job not found' } };
      const completed = statusOf(parent, state.jobDurationMs).status === 'COMPLETED';
      if (!completed || parent.model !== family || !rules.follows(parent)) {
        return { status: 409, body: { error: `Action ${body.action} is not available for this job` } };
      }
      return {
        model: family,
        action: body.action as string,
        priceName: `${family}:${body.action}`,
        cost: rules.cost,
        inheritedDirectives: parent.childDirectives,
        result: rules.result,
      };
    },
  };
}

export const ACTION_OPERATIONS: readonly Operation[] = [
  actionOperation('/v2/images/midjourney/action', 'midjourney', MIDJOURNEY),
  actionOperation('/v2/music/suno/action', 'suno', SUNO),
];
