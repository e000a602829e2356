import { describe, expect, it } from 'vitest';
import { ProgressRenderer, progressBar } from '../../../cli/progress-renderer.ts';
import type { Digest } from '../../../core/oci/digest.ts';
import type { PullProgress } from '../../../engine/images/progress.ts';

const A = 'sha256:aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000' as Digest;
const B = 'sha256:bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000' as Digest;
const layer = (digest: Digest, status: Extract<PullProgress, { kind: 'layer' }>['status'], current?: number, total?: number): PullProgress => ({
  kind: 'layer',
  id: digest.slice(7, 19),
  digest,
  status,
  ...(current !== undefined ? { current } : {}),
  ...(total !== undefined ? { total } : {}),
});

const PULL: PullProgress[] = [
  layer(A, 'Pulling fs layer'),
  layer(B, 'Already exists'),
  layer(A, 'Downloading', 1_048_576, 2_152_263),
  layer(A, 'Downloading', 2_152_263, 2_152_263),
  layer(A, 'Verifying Checksum'),
  layer(A, 'Download complete'),
  layer(A, 'Extracting', 2_152_263, 2_152_263),
  layer(A, 'Pull complete'),
  { kind: 'status', message: 'Digest: sha256:0123' },
];

function render(tty: boolean, columns = 120): string {
  let out = '';
  const r = new ProgressRenderer((s) => (out += s), { tty, columns });
  r.message({ id: 'latest', status: 'Pulling from library/busybox' });
  for (const p of PULL) r.pull(p);
  return out;
}

describe('progressBar (docker JSONProgress)', () => {
  it('draws a 50-column bar and sizes on wide terminals', () => {
    expect(progressBar(1_048_576, 2_152_263, 120)).toBe(`[${'='.repeat(24)}>${' '.repeat(26)}]  1.049MB/2.152MB`);
    expect(progressBar(5, 5, 120)).toBe(`[${'='.repeat(50)}>]       5B/5B`);
  });

  it('shows only the numbers up to 110 columns, and copes with odd totals', () => {
    expect(progressBar(1_048_576, 2_152_263, 110)).toBe(' 1.049MB/2.152MB');
    expect(progressBar(0, 0, 120)).toBe('');
    expect(progressBar(1200, 0, 120)).toBe('   1.2kB');
    expect(progressBar(20, 10, 120)).toBe(`[${'='.repeat(50)}>]      20B`);
  });
});

describe('ProgressRenderer', () => {
  it('prints each layer status once per change without a terminal', () => {
    expect(render(false)).toBe(
      [
        'latest: Pulling from library/busybox',
        'aaaaaaaaaaaa: Pulling fs layer',
        'bbbbbbbbbbbb: Already exists',
        'aaaaaaaaaaaa: Downloading',
        'aaaaaaaaaaaa: Verifying Checksum',
        'aaaaaaaaaaaa: Download complete',
        'aaaaaaaaaaaa: Extracting',
        'aaaaaaaaaaaa: Pull complete',
        'Digest: sha256:0123',
        '',
      ].join('\n'),
    );
  });

  it('redraws layer lines in place on a terminal', () => {
    const line = (up: number, text: string) => `\x1b[${up}A\x1b[2K\r${text}\r\x1b[${up}B`;
    const bar = (n: number) => `[${'='.repeat(n)}>${' '.repeat(50 - n)}] `;
    expect(render(true)).toBe(
      'latest: Pulling from library/busybox\n' +
        '\n' +
        line(1, 'aaaaaaaaaaaa: Pulling fs layer ') +
        '\n' +
        line(1, 'bbbbbbbbbbbb: Already exists ') +
        line(2, `aaaaaaaaaaaa: Downloading ${bar(24)} 1.049MB/2.152MB`) +
        line(2, `aaaaaaaaaaaa: Downloading ${bar(50)} 2.152MB/2.152MB`) +
        line(2, 'aaaaaaaaaaaa: Verifying Checksum ') +
        line(2, 'aaaaaaaaaaaa: Download complete ') +
        line(2, `aaaaaaaaaaaa: Extracting ${bar(50)} 2.152MB/2.152MB`) +
        line(2, 'aaaaaaaaaaaa: Pull complete ') +
        'Digest: sha256:0123\n',
    );
  });

  it('starts a new block of layer lines after a plain line', () => {
    let out = '';
    const r = new ProgressRenderer((s) => (out += s), { tty: true, columns: 80 });
    r.pull(layer(A, 'Pull complete'));
    r.message({ status: 'Loaded image: x' });
    r.pull(layer(B, 'Pull complete'));
    expect(out).toBe(
      '\n\x1b[1A\x1b[2K\raaaaaaaaaaaa: Pull complete \r\x1b[1B' + 'Loaded image: x\n' + '\n\x1b[1A\x1b[2K\rbbbbbbbbbbbb: Pull complete \r\x1b[1B',
    );
  });
});
