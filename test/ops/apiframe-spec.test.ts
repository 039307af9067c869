// The committed copy of Apiframe's spec and the script that refreshes it from a newer one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkNewSpec, COMMITTED_SPEC } from '../../scripts/apiframe-spec.js';

const committed = readFileSync(COMMITTED_SPEC, 'utf8');

type Branch = { properties: Record<string, unknown> };
type Spec = { paths: Record<string, unknown>; components: { schemas: Record<string, { oneOf: Branch[] }> } };

/** The committed spec, changed by `edit`, as text. */
function edited(edit: (spec: Spec) => void): string {
  const spec = JSON.parse(committed);
  edit(spec);
  return JSON.stringify(spec);
}

describe('refreshing the committed Apiframe spec', () => {
  it('finds nothing new in the committed copy, and rewrites it unchanged from the command line', () => {
    expect(checkNewSpec(committed)).toEqual([]);
    const printed = execFileSync('npx', ['tsx', 'scripts/apiframe-spec.ts', COMMITTED_SPEC], { encoding: 'utf8' });
    expect(printed).toContain(`${COMMITTED_SPEC} updated`);
    expect(readFileSync(COMMITTED_SPEC, 'utf8')).toBe(committed);
  });

  it('names the models that came and went', () => {
    const text = edited((spec) => {
      const branches = spec.components.schemas.VideoUpscaleRequest!.oneOf;
      const [first] = branches as [Branch];
      branches.push({ ...first, properties: { ...first.properties, model: { enum: ['upscaler-9'] } } });
      branches.shift();
    });
    expect(checkNewSpec(text)).toEqual([
      '/v2/videos/upscale new: upscaler-9',
      '/v2/videos/upscale removed: topaz-video-upscale',
    ]);
  });

  it('refuses a spec that lacks an operation the gateway serves, or is no spec at all', () => {
    const withoutEdit = edited((spec) => {
      delete spec.paths['/v2/videos/edit'];
    });
    expect(() => checkNewSpec(withoutEdit)).toThrow(
      'the new spec lacks operations the gateway serves: /v2/videos/edit',
    );
    expect(() => checkNewSpec('{"openapi": ')).toThrow('the new spec is not JSON');
    expect(() => checkNewSpec('{"swagger": "2.0"}')).toThrow('the new spec is not an OpenAPI 3 document');
  });
});
