/**
 * The dashboard capability: serves the built web app (dist/web) under /ui/ with a fallback to
 * the app shell for client-side routes, redirects / to it, and answers "who am I" the way
 * Kubernetes does (SelfSubjectReview), which is all the dashboard needs beyond the resource API.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../api/errors.js';
import type { PlatformModule } from '../server/platform-module.js';
import { dashboardDir, resolveUiPath } from './dashboard-files.js';

/** Options for tests and embedding: where the built files are. */
export interface DashboardOptions {
  root?: string;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Capstan</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>The dashboard is not built</h1>
<p>This Capstan server has no built dashboard files. Build them with <code>npm run build:web</code> (or <code>npm run build</code>) and reload.
The API and the <code>capstan</code> CLI work without it.</p></body></html>`;

/** Builds the dashboard module (serving files from `root`, default dist/web). */
export function createDashboardModule(opts: DashboardOptions = {}): PlatformModule {
  return {
    name: 'dashboard',
    install(ctx) {
      const root = opts.root ?? dashboardDir();
      const app = ctx.app;
      app.get('/', async (_req, reply) => reply.redirect('/ui/'));
      app.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', async (req) => {
        const s = ctx.subjectOf(req);
        if (!s) throw new ApiError('Unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
        return { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {}, status: { userInfo: { username: s.name, groups: s.groups } } };
      });
      // Encapsulated so reply.sendFile does not clash with another module's @fastify/static.
      void app.register(async (scope) => {
        await scope.register(fastifyStatic, { root, serve: false });
        const shell = (reply: FastifyReply) => {
          if (!existsSync(join(root, 'index.html'))) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
          return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
        };
        // With ignoreTrailingSlash, /ui and /ui/ are one route, and /ui/* never sees an empty rest.
        scope.get('/ui', async (_req, reply) => shell(reply));
        scope.get('/ui/*', async (req, reply) => {
          const rest = (req.params as { '*': string })['*'] ?? '';
          const target = resolveUiPath(root, rest);
          if ('shell' in target) return shell(reply);
          if ('missing' in target) throw new ApiError('NotFound', `no dashboard file ${rest.slice(0, 200)}`);
          // Hashed asset names never change content, so browsers may keep them for a year.
          if (target.immutable) return reply.sendFile(target.file, { immutable: true, maxAge: '365d' });
          return reply.header('cache-control', 'no-cache').sendFile(target.file, { cacheControl: false });
        });
      });
    },
  };
}

/** The dashboard capability's platform module. */
export const dashboardModule: PlatformModule = createDashboardModule();
