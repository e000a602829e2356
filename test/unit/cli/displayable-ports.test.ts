// docker ps's PORTS column, against lines Docker's own DisplayablePorts prints for the same ports.
import { describe, expect, it } from 'vitest';
import { displayablePorts } from '../../../cli/displayable-ports.ts';

const pub = (PrivatePort: number, PublicPort: number, Type = 'tcp', IP = '0.0.0.0') => ({ IP, PrivatePort, PublicPort, Type });
const exposed = (PrivatePort: number, Type = 'tcp') => ({ PrivatePort, Type });

describe('displayablePorts', () => {
  it('prints one published port and exposed-only ones', () => {
    expect(displayablePorts([pub(80, 8080)])).toBe('0.0.0.0:8080->80/tcp');
    expect(displayablePorts([exposed(443), exposed(80)])).toBe('80/tcp, 443/tcp');
  });

  it('groups consecutive ports published on their own numbers, and consecutive exposed ones', () => {
    expect(displayablePorts([pub(8081, 8081), pub(8080, 8080), pub(8082, 8082), exposed(9000), exposed(9001)])).toBe(
      '0.0.0.0:8080-8082->8080-8082/tcp, 9000-9001/tcp',
    );
  });

  it('keeps ports published on other numbers apart, after the groups', () => {
    expect(displayablePorts([pub(80, 8080), pub(81, 8081), exposed(22)])).toBe('22/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:8081->81/tcp');
  });

  it('splits a run at a gap and by protocol', () => {
    expect(displayablePorts([exposed(1), exposed(2), exposed(4), exposed(53, 'udp'), exposed(54, 'udp')])).toBe('1-2/tcp, 4/tcp, 53-54/udp');
  });
});
