import { InvalidParameterError } from '../../core/errors.ts';

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
};

/** `SIGTERM`, `TERM` or `15` → 15. */
export function parseSignal(s: string | number): number {
  if (typeof s === 'number') return s;
  const t = s.trim().toUpperCase();
  if (/^\d+$/.test(t) && Number(t) > 0 && Number(t) < 65) return Number(t);
  const n = SIGNALS[t.startsWith('SIG') ? t.slice(3) : t];
  if (n === undefined) throw new InvalidParameterError(`Invalid signal: ${s}`);
  return n;
}
