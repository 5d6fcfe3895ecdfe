import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The import boundaries (.dependency-cruiser.cjs, run by `npm run lint`) are proven here to fire:
 * a throw-away tree holds one violating import per rule, beside imports that are allowed, and the
 * project's own configuration is run over it exactly as the lint step runs it.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** file → its imports (relative specifiers, as the sources write them). */
const TREE: Record<string, readonly string[]> = {
  // Faces of today's and tomorrow's folders (api/, connectors/graph, processors/obtp do not exist yet).
  'common/index.ts': [],
  'config/index.ts': [],
  'schemas/index.ts': [],
  'sim/graph/index.ts': ['./cli.js'],
  'sim/graph/cli.ts': ['./index.js'],
  'runtime/index.ts': ['../config/index.js'],
  'runtime/worker.ts': ['../common/index.js'],
  'kms/index.ts': ['../app/index.js', '../schemas/index.js'],
  'kms/cli.ts': [],
  // No file of kms/ is exempt (sealing.ts once built the raw records it sealed; records/ does now).
  'kms/sealing.ts': ['../schemas/index.js'],
  'records/index.ts': ['../kms/index.js', '../schemas/index.js'],
  'stack/index.ts': ['../config/index.js'],
  'ops/index.ts': ['../sim/graph/index.js'],
  'api/index.ts': ['../graph/index.js'],
  'graph/index.ts': ['../connectors/graph/index.js', '../common/index.js'],
  'connectors/graph/index.ts': ['../../processors/ooo/index.js'],
  'processors/obtp/index.ts': ['../ooo/index.js', '../../connectors/graph/index.js', '../../api/index.js', '../../runtime/index.js', '../../graph/index.js'],
  'processors/ooo/index.ts': ['./state.js', '../../common/index.js'],
  'processors/ooo/state.ts': [],
  'app/index.ts': ['../runtime/worker.js', '../kms/cli.js', '../processors/ooo/index.js', '../config/index.js'],
  'cli/main.ts': ['../app/index.js', '../kms/cli.js', '../sim/graph/cli.js'],
  'bench/run.ts': ['../test/support/helper.js', '../sim/graph/index.js', '../runtime/index.js'],
  'test/support/helper.ts': [],
  'test/unit/x.test.ts': ['../support/helper.js', '../../runtime/worker.js', '../../sim/graph/index.js'],
};

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

let scratch = '';
let violations: readonly Violation[] = [];

function cruise(cwd: string): Promise<readonly Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', '.'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      // depcruise exits non-zero when it finds violations; the JSON on stdout is what counts.
      if (stdout === '') {
        reject(error ?? new Error('depcruise printed nothing'));
        return;
      }
      resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
    });
  });
}

const fired = (rule: string): string[] =>
  violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} → ${v.to}`).sort();

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hycal-boundaries-'));
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowJs: false } }));
  for (const [file, imports] of Object.entries(TREE)) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    const lines = imports.map((specifier, i) => `import * as m${i} from '${specifier}';\nexport const use${i} = m${i};`);
    writeFileSync(join(scratch, file), `${lines.join('\n')}\nexport const here = ${JSON.stringify(file)};\n`);
  }
  violations = await cruise(scratch);
}, 60_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('architecture – each import boundary fires on a violating import', () => {
  it('architecture – processors never import each other', () => {
    expect(fired('processors-not-each-other')).toEqual(['processors/obtp/index.ts → processors/ooo/index.ts']);
  });

  it('architecture – processors never import the connector or the API', () => {
    expect(fired('processors-not-connectors-or-api')).toEqual([
      'processors/obtp/index.ts → api/index.ts',
      'processors/obtp/index.ts → connectors/graph/index.ts',
    ]);
  });

  it('architecture – the connector never imports processors', () => {
    expect(fired('connectors-not-processors')).toEqual(['connectors/graph/index.ts → processors/ooo/index.ts']);
  });

  it('architecture – graph/ (the shared Graph access) knows none of its callers', () => {
    expect(fired('graph-access-is-a-library')).toEqual(['graph/index.ts → connectors/graph/index.ts']);
  });

  it('architecture – runtime/, kms/ and stack/ never import config/ or app/', () => {
    expect(fired('libraries-not-configuration')).toEqual([
      'kms/index.ts → app/index.ts',
      'runtime/index.ts → config/index.ts',
      'stack/index.ts → config/index.ts',
    ]);
  });

  it('architecture – kms/ never imports record schemas, no file of it excepted; records/ (the raw topics\' sealing) may', () => {
    expect(fired('kms-not-record-schemas')).toEqual(['kms/index.ts → schemas/index.ts', 'kms/sealing.ts → schemas/index.ts']);
  });

  it('architecture – no production folder imports the simulator; tests and benchmarks may', () => {
    expect(fired('production-not-sim')).toEqual(['ops/index.ts → sim/graph/index.ts']);
  });

  it('architecture – nothing outside test/ imports test/', () => {
    expect(fired('only-tests-import-tests')).toEqual(['bench/run.ts → test/support/helper.ts']);
  });

  it('architecture – another folder is imported through its index.ts; cli.ts only by the hycal command; tests may reach inside', () => {
    expect(fired('through-the-face')).toEqual(['app/index.ts → kms/cli.ts', 'app/index.ts → runtime/worker.ts']);
  });

  it('architecture – no import cycles', () => {
    expect(fired('no-circular')).toEqual(['sim/graph/cli.ts → sim/graph/index.ts']);
  });

  it('architecture – allowed imports raise nothing', () => {
    const allowed = ['cli/main.ts', 'test/unit/x.test.ts', 'processors/ooo/index.ts', 'runtime/worker.ts', 'api/index.ts'];
    expect(violations.filter((v) => allowed.includes(v.from))).toEqual([]);
  });
});
