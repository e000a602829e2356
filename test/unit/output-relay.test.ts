import { describe, expect, it } from 'vitest';
import { OutputRelay } from '../../core/output-relay.ts';
import type { ProcessEvent } from '../../core/protocol.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (e: ProcessEvent) => `${e.type}:${e.type === 'stdout' || e.type === 'stderr' ? new TextDecoder().decode(e.data) : ''}`;
const nextTask = () => new Promise((r) => setTimeout(r, 0));

describe('OutputRelay', () => {
  it('sends a write after a quiet spell at once, and joins the writes that follow it in order', async () => {
    const sent: string[] = [];
    const relay = new OutputRelay((e) => sent.push(text(e)));
    relay.push(1, bytes('> '));
    expect(sent).toEqual(['stdout:> ']);
    relay.push(1, bytes('a'));
    relay.push(1, bytes('b'));
    relay.push(2, bytes('oops'));
    relay.push(1, bytes('c'));
    expect(sent).toHaveLength(1);
    await nextTask();
    expect(sent).toEqual(['stdout:> ', 'stdout:ab', 'stderr:oops', 'stdout:c']);
    // Quiet again: the next write goes at once.
    await nextTask();
    relay.push(2, bytes('late'));
    expect(sent.at(-1)).toBe('stderr:late');
  });

  it('sends what it holds when asked (before a process exit), and a full batch without waiting', () => {
    const sent: string[] = [];
    const relay = new OutputRelay((e) => sent.push(text(e)));
    relay.push(1, bytes('first'));
    relay.push(1, bytes('held'));
    relay.flush();
    expect(sent).toEqual(['stdout:first', 'stdout:held']);
    relay.push(1, bytes('x'));
    relay.push(1, new Uint8Array(64 << 10));
    expect(sent).toHaveLength(4);
  });
});
