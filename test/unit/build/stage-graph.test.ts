import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../engine/build/dockerfile/parse-dockerfile.ts';
import { stagesNeeded } from '../../../engine/build/dockerfile/stage-graph.ts';

const df = parseDockerfile(`ARG BASE=deps
FROM node:20 AS deps
RUN npm ci
FROM deps AS build
RUN --mount=type=cache,from=tools,target=/t npm run build
FROM alpine AS tools
FROM nginx AS unrelated
FROM \${BASE} AS test
COPY --from=1 /x /y
COPY --from=busybox:latest /bin/sh /sh
FROM nginx
COPY --from=build /dist /usr/share/nginx/html
`);

describe('stagesNeeded', () => {
  it('defaults to the last stage and orders dependencies first', () => {
    expect(stagesNeeded(df)).toEqual([0, 2, 1, 5]);
  });
  it('follows indexes and expands FROM with global args', () => {
    expect(stagesNeeded(df, 'test', (n) => (n === 'BASE' ? 'deps' : undefined))).toEqual([0, 2, 1, 4]);
    expect(stagesNeeded(df, 'TOOLS')).toEqual([2]);
  });
  it('fails for an unknown target', () => {
    expect(() => stagesNeeded(df, 'biuld')).toThrow('target stage "biuld" could not be found (did you mean build?)');
  });
});
