import { readFileSync, writeFileSync } from 'node:fs';
import type { Db } from 'mongodb';
import type { Command } from 'commander';
import { systemClock } from '../common/index.js';
import { ConfigError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { KmsInputError } from './errors.js';
import { generateKmsCertificates, writeKmsCertificates } from './certs.js';
import { generateKeyText, loadMasterKey } from './master-key.js';
import { kmsServerOptionsSchema } from './options.js';
import { reencryptCollection, type DocumentLayout } from './reencrypt.js';
import { startKmsServer } from './server.js';
import type { Keyring } from './keyring.js';
import type { TenantKeyVault } from './vault.js';

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KmsInputError(`Cannot read ${path}; check the path.`, { cause: error });
  }
}

/** What the key commands work on: the configured keyring and the database its keys live in. */
export interface KeyringSession {
  readonly keyring: Keyring;
  /** The built-in KMS, when a tenant of this configuration uses it. */
  readonly cloud: TenantKeyVault | undefined;
  /** The database holding the keys, or another one of the same server by name. */
  readonly db: (name?: string) => Db;
}

export interface KmsCommandDeps {
  /** Opens a session on the configured keyring for the time of `fn` (the composition root builds it). */
  readonly withKeyring: <T>(fn: (session: KeyringSession) => Promise<T>) => Promise<T>;
  readonly logger: (name: string) => Logger;
  /** Where the encrypted fields of the documents `hycal kms reencrypt` rewrites are. */
  readonly documentLayout: DocumentLayout;
}

/** CLI output (service code has no console; the terminal is this command's interface). */
function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** What shredding does not reach (docs/security.md, "Crypto-shredding"); printed by `hycal kms shred`. */
export const SHRED_BACKUP_NOTE =
  'Backups: a backup taken before now (MongoDB with kms_tenant_keys and kms_data_keys for the built-in KMS; the key directory for the on-premises KMS) ' +
  "still holds this tenant's wrapped keys, and the current master key unwraps them: data restored from such a backup stays readable. " +
  'To close that, rotate the master key (new key, `hycal kms rewrap-master`) once every backup taken before this shred has aged out, then destroy the old master key.';

/** `hycal kms ...`: the on-premises KMS, key generation, rotation, re-encryption and shredding. */
export function registerKmsCommands(program: Command, deps: KmsCommandDeps): void {
  const kms = program.command('kms').description('keys: on-premises KMS, rotation, re-encryption, crypto-shredding');

  kms
    .command('keygen')
    .description('print a new random 256-bit master key (base64), or write it to a file (mode 0600)')
    .option('--out <file>', 'write the key to this file instead of printing it')
    .action((opts: { out?: string }) => {
      const key = generateKeyText();
      if (opts.out === undefined) print(key);
      else writeFileSync(opts.out, `${key}\n`, { mode: 0o600, flag: 'wx' });
    });

  kms
    .command('certs')
    .description('generate a private CA, a KMS server certificate, a service client certificate and an administrative one for mutual TLS, one directory per party')
    .requiredOption('--out <dir>', 'directory for ca/ (keep offline), server/, service/, admin/')
    .option('--host <name>', 'server host name or IP (repeatable)', collect, [])
    .option('--client-cn <name>', 'client certificate common name', 'hycal-service')
    .option('--admin-cn <name>', 'administrative client certificate common name (key deletion)', 'hycal-kms-admin')
    .action(async (opts: { out: string; host: string[]; clientCn: string; adminCn: string }) => {
      const certs = await generateKmsCertificates({ hosts: opts.host.length > 0 ? opts.host : ['localhost', '127.0.0.1'], clientCn: opts.clientCn, adminCn: opts.adminCn });
      const files = await writeKmsCertificates(opts.out, certs);
      print(`wrote ${Object.values(files).join(', ')}`);
    });

  kms
    .command('serve')
    .description('run the on-premises KMS (HTTPS with mutual TLS) holding tenant keys under its own master key')
    .requiredOption('--data-dir <dir>', 'directory for the wrapped tenant keys')
    .requiredOption('--cert <file>', 'server certificate (PEM)')
    .requiredOption('--key <file>', 'server private key (PEM)')
    .requiredOption('--ca <file>', 'CA of accepted client certificates (PEM)')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', '8443')
    .option('--master-key-file <file>', 'master key file (else HYCAL_KMS_SERVER_MASTER_KEY)')
    .option('--previous-master-key-file <file>', 'earlier master key: tenant keys are re-wrapped under the current one at start (repeatable)', collect, [])
    .option('--client <cn=tenants>', 'client identity (certificate common name) and the tenants it may use, comma-separated or * (repeatable)', collect, [])
    .option('--allow-client <cn>', 'same as --client <cn>=* (repeatable)', collect, [])
    .option('--admin-client <cn>', 'identity that may delete (crypto-shred) tenant keys, and nothing else (repeatable)', collect, [])
    .option('--allow-any-client', 'opt out of the allowlist: any certificate the CA signed may use every tenant')
    .option('--rate-limit <n>', 'requests per second per client identity', '500')
    .action(async (opts: { dataDir: string; cert: string; key: string; ca: string; host: string; port: string; masterKeyFile?: string; previousMasterKeyFile: string[]; client: string[]; allowClient: string[]; adminClient: string[]; allowAnyClient?: boolean; rateLimit: string }) => {
      const clients: Record<string, string[]> = {};
      for (const entry of [...opts.client, ...opts.allowClient.map((cn) => `${cn}=*`)]) {
        const at = entry.lastIndexOf('=');
        if (at <= 0) throw new ConfigError(`--client ${entry}: write <common name>=<tenant>,<tenant> or <common name>=*.`);
        const tenants = entry.slice(at + 1).split(',').map((tenant) => tenant.trim()).filter((tenant) => tenant !== '');
        clients[entry.slice(0, at)] = [...(clients[entry.slice(0, at)] ?? []), ...tenants];
      }
      const parsed = kmsServerOptionsSchema.safeParse({
        host: opts.host,
        port: Number(opts.port),
        dataDir: opts.dataDir,
        certFile: opts.cert,
        keyFile: opts.key,
        caFile: opts.ca,
        masterKeyFile: opts.masterKeyFile,
        previousMasterKeyFiles: opts.previousMasterKeyFile,
        clients,
        adminClients: opts.adminClient,
        allowAnyClient: opts.allowAnyClient === true,
        rateLimitPerSecond: Number(opts.rateLimit),
      });
      if (!parsed.success) {
        throw new ConfigError(`Invalid kms serve options. ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
      const options = parsed.data;
      const logger = deps.logger('kms-server');
      const server = await startKmsServer({
        host: options.host,
        port: options.port,
        masterKey: loadMasterKey({ file: options.masterKeyFile, envName: options.masterKeyEnv, env: process.env, removeFromEnv: true }),
        previousMasterKeys: options.previousMasterKeyFiles.map((file) => loadMasterKey({ file, envName: options.masterKeyEnv })),
        dataDir: options.dataDir,
        tls: { cert: readPem(options.certFile), key: readPem(options.keyFile), ca: readPem(options.caFile) },
        clients: options.clients,
        adminClients: options.adminClients,
        allowAnyClient: options.allowAnyClient,
        rateLimitPerSecond: options.rateLimitPerSecond,
        bodyLimitBytes: options.bodyLimitBytes,
        clock: systemClock,
        logger,
      });
      print(`on-premises KMS listening at ${server.url} (mutual TLS)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          void server.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  kms
    .command('rotate')
    .description('start a new data key version for a tenant: new writes use it, older data stays readable')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (opts: { tenant: string }) => {
      await deps.withKeyring(async ({ keyring }) => {
        const ref = await keyring.rotate(opts.tenant);
        print(`tenant ${opts.tenant}: new writes use ${ref.keyId} version ${ref.version}`);
      });
    });

  kms
    .command('rewrap-master')
    .description('master key rotation (built-in KMS): re-wrap every tenant key under the current master key; earlier keys from HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES')
    .action(async () => {
      await deps.withKeyring(async ({ cloud }) => {
        if (cloud === undefined) throw new KmsInputError('The built-in KMS is not in use in this configuration; nothing to re-wrap.');
        const result = await cloud.rewrapTenantKeys();
        print(`tenant keys: ${result.rewrapped} re-wrapped, ${result.current} already current, ${result.destroyed} destroyed`);
      });
    });

  kms
    .command('versions')
    .description('list the data key versions of a tenant (no key material)')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (opts: { tenant: string }) => {
      await deps.withKeyring(async ({ keyring }) => {
        for (const v of await keyring.versions(opts.tenant)) {
          print(`${v.keyId} v${v.version} created ${new Date(v.createdAt).toISOString()} uses≤${v.usesReserved}`);
        }
      });
    });

  kms
    .command('reencrypt')
    .description("move a tenant's stored ciphertexts to its current data key version")
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--collection <name>', 'collection holding meeting documents (repeatable)', collect, [])
    .option('--database <name>', 'database of the collections (default: the service database)')
    .action(async (opts: { tenant: string; collection: string[]; database?: string }) => {
      await deps.withKeyring(async ({ keyring, db }) => {
        for (const name of opts.collection) {
          const result = await reencryptCollection({ keyring, collection: db(opts.database).collection(name), tenantId: opts.tenant, layout: deps.documentLayout });
          print(`${name}: ${result.documents} documents, ${result.fieldsReencrypted} fields re-encrypted, ${result.alreadyCurrent} already current, ${result.failed} failed`);
          if (result.failed > 0) process.exitCode = 1;
        }
      });
    });

  kms
    .command('shred')
    .description("offboard a tenant: destroy its keys for good (crypto-shredding); all its data becomes unreadable")
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--yes', 'confirm: this cannot be undone')
    .action(async (opts: { tenant: string; yes?: boolean }) => {
      if (opts.yes !== true) throw new KmsInputError('Shredding cannot be undone; add --yes to confirm.');
      await deps.withKeyring(async ({ keyring }) => {
        const { dataKeysDeleted } = await keyring.shred(opts.tenant);
        print(`tenant ${opts.tenant}: keys destroyed (${dataKeysDeleted} data keys deleted); its live data is unreadable`);
        print(SHRED_BACKUP_NOTE);
      });
    });
}
