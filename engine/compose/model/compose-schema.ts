/**
 * Checks a Compose file against the compose-spec JSON schema, with errors worded like Compose's and
 * naming the file and line. The schema is compose-spec's `schema/compose-spec.json` at commit
 * 170098ba07d9f53c383a41bfd4c5166b0a4529a6 (2026-06-23).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ComposeFileError } from './compose-errors.ts';
import composeSpec from './compose-spec.json';
import type { ParsedComposeFile } from './compose-yaml.ts';
import { formatPath } from './interpolate.ts';

let validator: ValidateFunction | undefined;

/** JSON Schema's type names in YAML's words, as Compose's messages use them. */
const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', integer: 'an integer', null: 'null' };

// Compiled on first use: the schema is large and a page that never loads a Compose file should not pay for it.
function compiled(): ValidateFunction {
  if (validator) return validator;
  // The schema names draft-07 by an https URL Ajv does not know; its keywords are draft-07's, which Ajv speaks.
  const { $schema: _, ...schema } = composeSpec as Record<string, unknown>;
  validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validator;
}

/** Throws the first schema violation of `value` (the file's interpolated content), e.g. `compose.yaml: services.web additional property "imagee" is not allowed (line 3)`. */
export function validateComposeFile(parsed: ParsedComposeFile, value: unknown): void {
  const validate = compiled();
  if (validate(value)) return;
  const error = mostSpecific(validate.errors ?? []);
  const path = pathOf(value, error.instancePath);
  const where = formatPath(path) || '(root)';
  const [message, at] = describe(error, where, path, validate.errors ?? []);
  const line = parsed.lineOf(at);
  throw new ComposeFileError(`${parsed.file}: ${message}${line ? ` (line ${line})` : ''}`);
}

/** The deepest error explains the most; a failed `oneOf` only says its branches failed, which they report themselves. */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => (e.instancePath ? e.instancePath.split('/').length : 0);
  // At one depth, a type mismatch is only one branch of a oneOf failing; another keyword failing there comes
  // from the branch whose type did match, and says what is wrong with the value.
  const rank = (e: ErrorObject) =>
    e.keyword === 'additionalProperties' ? 0 : e.keyword === 'type' ? 2 : e.keyword === 'oneOf' || e.keyword === 'anyOf' ? 3 : 1;
  return [...errors].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0]!;
}

function describe(error: ErrorObject, where: string, path: (string | number)[], all: readonly ErrorObject[]): [string, (string | number)[]] {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return [`${where} additional property "${params['additionalProperty']}" is not allowed`, [...path, String(params['additionalProperty'])]];
    case 'type': {
      // Each branch of a oneOf reports its own type; together they say what the value may be.
      const types = [
        ...new Set(all.filter((e) => e.keyword === 'type' && e.instancePath === error.instancePath).flatMap((e) => String(e.params['type']).split(','))),
      ];
      return [`${where} must be ${types.map((t) => TYPE_WORDS[t] ?? `a ${t}`).join(' or ')}`, path];
    }
    case 'enum':
      return [`${where} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, path];
    case 'required':
      return [`${where} "${params['missingProperty']}" is required`, path];
    case 'uniqueItems':
      return [`${where} must not contain duplicate items`, path];
    default:
      return [`${where} ${error.message ?? 'is invalid'}`, path];
  }
}

/** A JSON pointer as keys and indices, telling indices from keys by the data it points into. */
function pathOf(value: unknown, pointer: string): (string | number)[] {
  const path: (string | number)[] = [];
  let node = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(node) ? Number(key) : key;
    path.push(step);
    node = (node as Record<string | number, unknown> | undefined)?.[step];
  }
  return path;
}
