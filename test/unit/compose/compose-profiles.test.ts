// Profiles on their own (the loader's tests run 15-profiles.md's example end to end).
import { describe, expect, it } from 'vitest';
import { applyProfiles } from '../../../engine/compose/model/compose-profiles.ts';

const services = {
  app: { image: 'app' },
  debug: { image: 'debug', profiles: ['dev', 'debug'] },
  tests: { image: 'tests', profiles: ['test'], depends_on: { debug: { required: false } } },
};

describe('applyProfiles', () => {
  it('keeps services without profiles, and those with an active one', () => {
    expect(Object.keys(applyProfiles(services, []))).toEqual(['app']);
    expect(Object.keys(applyProfiles(services, ['debug']))).toEqual(['app', 'debug']);
    expect(Object.keys(applyProfiles(services, [], ['debug']))).toEqual(['app', 'debug']);
  });

  it('lets a service do without a disabled dependency it does not require', () => {
    expect(Object.keys(applyProfiles(services, ['test']))).toEqual(['app', 'tests']);
    expect(() => applyProfiles({ ...services, tests: { profiles: ['test'], depends_on: ['debug'] } }, ['test'])).toThrow(
      'service debug is required by tests but is disabled. Can be enabled by profiles [dev debug]',
    );
  });
});
