// Schema errors name the file, the key path (as Compose words them) and the line.
import { describe, expect, it } from 'vitest';
import { validateComposeFile } from '../../../engine/compose/model/compose-schema.ts';
import { parseComposeYaml } from '../../../engine/compose/model/compose-yaml.ts';

const check = (text: string, file = 'compose.yaml') => {
  const parsed = parseComposeYaml(file, text);
  return () => validateComposeFile(parsed, parsed.value);
};

describe('validateComposeFile', () => {
  it('accepts a real file', () => {
    const wordpress = `
services:
  db:
    image: mariadb:10.6.4-focal
    command: '--default-authentication-plugin=mysql_native_password'
    volumes:
      - db_data:/var/lib/mysql
    restart: always
    environment:
      - MYSQL_ROOT_PASSWORD=somewordpress
    expose:
      - 3306
      - 33060
    healthcheck:
      test: ["CMD", "healthcheck.sh", "--connect"]
      interval: 10s
  wordpress:
    image: wordpress:latest
    ports:
      - 80:80
    depends_on:
      db:
        condition: service_healthy
volumes:
  db_data:
x-note: anything
`;
    expect(check(wordpress)).not.toThrow();
  });

  it('names an unknown key, its service and its line', () => {
    expect(check('services:\n  web:\n    imagee: nginx\n')).toThrow('compose.yaml: services.web additional property "imagee" is not allowed (line 3)');
    expect(check('name: x\nservice:\n  web: {}\n', 'other.yml')).toThrow('other.yml: (root) additional property "service" is not allowed (line 2)');
  });

  it('names a value of the wrong type, in a list item', () => {
    expect(check('services:\n  web:\n    image: nginx\n    ports:\n      - 80\n      - [81]\n')).toThrow(
      'compose.yaml: services.web.ports[1] must be a number or a string or a mapping (line 6)',
    );
    expect(check('services:\n  web:\n    depends_on:\n      db:\n        condition: started\n')).toThrow(
      /^compose\.yaml: services\.web\.depends_on\.db\.condition must be one of "service_started", .* \(line 5\)$/,
    );
  });

  it('says what is wrong with a value of the right type', () => {
    expect(check('services:\n  web:\n    environment:\n      - A=1\n      - A=1\n')).toThrow(
      'compose.yaml: services.web.environment must not contain duplicate items (line 3)',
    );
    expect(check('services:\n')).toThrow('compose.yaml: services must be a mapping (line 1)');
  });

  it('finds the line through an alias and a merge key', () => {
    const text = 'x-base: &base\n  restart: always\n  bogus: 1\nservices:\n  web:\n    <<: *base\n    image: nginx\n';
    expect(check(text)).toThrow('compose.yaml: services.web additional property "bogus" is not allowed (line 3)');
  });
});
