import { describe, expect, it } from 'vitest';
import { OutputWindow } from '../../node/wasi/output-window.ts';

describe('OutputWindow', () => {
  it('lets output through until the window is full, then waits until its reader takes it all', async () => {
    let asked = 0;
    const w = new OutputWindow(100, Number.POSITIVE_INFINITY, 1, () => asked++);
    expect(w.spend(60)).toBeUndefined();
    const wait = w.spend(40);
    expect(wait).toBeInstanceOf(Promise);
    expect(asked).toBe(1);
    let resumed = false;
    void wait?.then(() => (resumed = true));
    w.taken();
    await wait;
    expect(resumed).toBe(true);
    expect(w.spend(99)).toBeUndefined();
  });

  it('counts messages as well as bytes, and resumes once the share taken frees enough of both', async () => {
    const w = new OutputWindow(1000, 4, 0.5);
    for (let i = 0; i < 3; i++) expect(w.spend(10)).toBeUndefined();
    const wait = w.spend(10);
    expect(wait).toBeInstanceOf(Promise);
    let resumed = false;
    void wait?.then(() => (resumed = true));
    w.taken(10, 1);
    await Promise.resolve();
    expect(resumed).toBe(false);
    w.taken(10, 1);
    await wait;
    expect(resumed).toBe(true);
  });
});
