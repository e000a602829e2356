// Every fuzzed property, for bench/fuzz.ts; the unit tests run each family from its own file.
import { cliProperties } from './cli-properties.ts';
import type { FuzzProperty } from './fuzz-property.ts';
import { ociProperties } from './oci-properties.ts';
import { tarProperties } from './tar-properties.ts';

export const ALL_PROPERTIES: readonly FuzzProperty[] = [...tarProperties, ...ociProperties, ...cliProperties];
