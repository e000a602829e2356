// Interactive processes: stdin arriving while the module waits (JSPI), poll_oneoff on stdin
// and a clock, prompts that show before the input, and signals (a WASI module cannot catch
// them: the node terminates its Worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWasiSession, TOOLS, type WasiSession } from './wasi-session.ts';

let s: WasiSession;
beforeAll(async () => {
  s = await openWasiSession('wasi-stdio', { jspi: true, fallback: false });
});
afterAll(() => s?.close());

const tools = (...args: string[]) => ['/bin/tools.wasm', ...args];

describe('on the JSPI path', () => {
  it('runs an interactive session: the prompt shows before any input, each line is answered', async () => {
    const r = await s.page.evaluate(
      async ([image, argv]) => {
        const id = await N.start('jspi', image, { argv, openStdin: true, tty: true });
        const t0 = performance.now();
        await N.waitFor(id, '> ');
        await N.write(id, 'hello\n');
        const t1 = performance.now();
        await N.waitFor(id, 'you said: hello\n> ');
        const answerMs = performance.now() - t1;
        await N.write(id, 'second line\n');
        await N.waitFor(id, 'you said: second line\n> ');
        await N.write(id, null);
        return { ...(await N.result(id)), promptMs: t1 - t0, answerMs };
      },
      [TOOLS, tools('prompt')] as const,
    );
    expect(r).toMatchObject({ code: 0, stdout: '> you said: hello\n> you said: second line\n> bye\n' });
    expect(r.answerMs).toBeLessThan(500);
  });

  it('polls stdin with a timeout: times out without input, wakes when a line arrives', async () => {
    const quiet = await s.page.evaluate(
      async ([image, argv]) => {
        const id = await N.start('jspi', image, { argv, openStdin: true });
        return N.result(id);
      },
      [TOOLS, tools('poll', '150')] as const,
    );
    expect(quiet).toMatchObject({ code: 0, stdout: 'timeout\n' });
    // Timed in the process Worker: the page may take the start and exit events late, together.
    expect(quiet.stats!.exited - quiet.stats!.started).toBeGreaterThanOrEqual(140);

    const woken = await s.page.evaluate(
      async ([image, argv]) => {
        const id = await N.start('jspi', image, { argv, openStdin: true });
        await new Promise((r) => setTimeout(r, 100));
        const t = performance.now();
        await N.write(id, 'ping\n');
        const r = await N.result(id);
        return { ...r, afterWriteMs: performance.now() - t };
      },
      [TOOLS, tools('poll', '20000')] as const,
    );
    expect(woken).toMatchObject({ code: 0, stdout: 'ready: ping\n' });
    expect(woken.afterWriteMs).toBeLessThan(2000);
  });

  it('kills a busy loop at once, with 128+signal; ignores SIGWINCH', async () => {
    for (const [signal, code] of [
      [9, 137],
      [15, 143],
      [2, 130],
    ] as const) {
      const r = await s.page.evaluate(
        async ([image, argv, signal]) => {
          const id = await N.start('jspi', image, { argv });
          await N.waitFor(id, 'spinning\n');
          await N.kill(id, 28); // SIGWINCH: its default action is to do nothing
          await new Promise((r) => setTimeout(r, 50));
          const t = performance.now();
          await N.kill(id, signal);
          const out = await N.result(id);
          return { ...out, killMs: performance.now() - t };
        },
        [TOOLS, tools('spin'), signal] as const,
      );
      expect(r.code, `signal ${signal}`).toBe(code);
      expect(r.stdout).toBe('spinning\n');
      // The program spins forever, so ending at all shows the Worker was ended, not waited for.
      // Idle, it takes under 200 ms; with another browser file running beside it on 2 cores
      // (as in CI), 430 ms was seen.
      expect(r.killMs).toBeLessThan(1000);
    }
  });
});

describe('on the fallback path', () => {
  it('takes piped stdin whole, then runs', async () => {
    const r = await s.run('fallback', { argv: tools('prompt'), stdin: 'one\ntwo\n' });
    expect(r).toMatchObject({ code: 0, stdout: '> you said: one\n> you said: two\n> bye\n' });
    const p = await s.run('fallback', { argv: tools('poll', '5000'), stdin: 'x\n' });
    expect(p.stdout).toBe('ready: x\n');
  });

  it('kills a busy loop too', async () => {
    const r = await s.page.evaluate(
      async ([image, argv]) => {
        const id = await N.start('fallback', image, { argv });
        await N.waitFor(id, 'spinning\n');
        const t = performance.now();
        await N.kill(id, 9);
        return { ...(await N.result(id)), killMs: performance.now() - t };
      },
      [TOOLS, tools('spin')] as const,
    );
    expect(r.code).toBe(137);
    // As on the JSPI path: a bound for a loaded 2-core machine (under 200 ms idle).
    expect(r.killMs).toBeLessThan(1000);
  });
});
