/**
 * The server's configuration, parsed once at the entry point (flags > env CAPSTAN_* > file >
 * defaults) into a frozen object that is passed to constructors. Nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A boolean from a flag (true/false) or an environment variable ("true"/"1", "false"/"0"). */
const envBool = () => z.preprocess((v) => (v === 'false' || v === '0' ? false : v === 'true' || v === '1' ? true : v), z.boolean());

const configSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8470),
    /** The inference gateway's port (OIP/V1 traffic to InferenceServices); 0 picks a free one. */
    gatewayPort: z.coerce.number().int().min(0).max(65535).default(8471),
    dataDir: z.string().default(join(homedir(), '.capstan')),
    databaseUrl: z.string().optional(),
    adminToken: z.string().min(16).optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    maxBodyBytes: z.coerce.number().int().min(1024).default(3 * 1024 * 1024),
    eventRetention: z.coerce.number().int().min(1000).default(100_000),
    demo: z.boolean().default(false),
    /** Serve /metrics without a token. */
    metricsPublic: envBool().default(false),
    /** Dashboard sessions last this long. */
    sessionTtlHours: z.coerce.number().min(0.1).max(24 * 30).default(12),
    /** Mark cookies Secure (set when the server is reached over TLS). */
    secureCookies: envBool().default(false),
    /** Audit records older than this are deleted. */
    auditRetentionDays: z.coerce.number().int().min(1).max(3650).default(90),
    /** Keep the audit log (off only to measure its cost: bench:auth). */
    audit: envBool().default(true),
  })
  .strict();

/**
 * The parsed, frozen server configuration, plus the process environment captured once here
 * (`environment`): what modules pass on to child processes (PATH, HOME, ...) and the settings of
 * their own that come from the environment (S3, cache size). Nothing below reads process.env.
 */
export type ServerConfig = Readonly<z.infer<typeof configSchema> & { environment: Readonly<Record<string, string | undefined>> }>;

const ENV: Record<string, keyof z.input<typeof configSchema>> = {
  CAPSTAN_HOST: 'host',
  CAPSTAN_PORT: 'port',
  CAPSTAN_GATEWAY_PORT: 'gatewayPort',
  CAPSTAN_DATA_DIR: 'dataDir',
  CAPSTAN_DATABASE_URL: 'databaseUrl',
  CAPSTAN_ADMIN_TOKEN: 'adminToken',
  CAPSTAN_LOG_LEVEL: 'logLevel',
  CAPSTAN_MAX_BODY_BYTES: 'maxBodyBytes',
  CAPSTAN_METRICS_PUBLIC: 'metricsPublic',
  CAPSTAN_SESSION_TTL_HOURS: 'sessionTtlHours',
  CAPSTAN_SECURE_COOKIES: 'secureCookies',
  CAPSTAN_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  CAPSTAN_AUDIT: 'audit',
};

/** Merges the sources in precedence order and validates; errors name the setting. */
export function loadServerConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, configFile?: string, inherited: NodeJS.ProcessEnv = process.env): ServerConfig {
  let fromFile: Record<string, unknown> = {};
  if (configFile) {
    const parsed = parseYaml(readFileSync(configFile, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object') fromFile = parsed as Record<string, unknown>;
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(ENV)) if (env[k] !== undefined && env[k] !== '') fromEnv[field] = env[k];
  const merged = { ...fromFile, ...fromEnv, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const res = configSchema.safeParse(merged);
  if (!res.success) {
    const msg = res.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  return Object.freeze({ ...res.data, dataDir: resolve(res.data.dataDir), environment: Object.freeze({ ...inherited }) });
}

/** The configuration as it may be printed: secrets redacted. */
export function redactConfig(cfg: ServerConfig): Record<string, unknown> {
  // The inherited environment can hold anything (cloud keys, tokens): only its variable names are shown.
  return {
    ...cfg,
    environment: Object.keys(cfg.environment).sort(),
    ...(cfg.adminToken ? { adminToken: '<redacted>' } : {}),
    ...(cfg.databaseUrl ? { databaseUrl: cfg.databaseUrl.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:<redacted>@') } : {}),
  };
}
