/**
 * Artifact transfer routes: streaming upload of blobs (`POST …/models/{model}/blobs`), the
 * one-request single-file push (`PUT …/modelversions/{name}/artifact`) and download with
 * Range/ETag (`GET …/modelversions/{name}/artifact[?path=]`). Bodies are streamed, never buffered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { ApiError, badRequest, toApiError } from '../api/errors.js';
import { ModelVersionKind, type ModelVersionSpec } from '../api/kinds/model-version.js';
import { MANIFEST_MEDIA_TYPE, receiveUpload, serveBlob, validateManifestPath, type PutResult } from '../artifacts/index.js';
import type { ModelRegistry } from './model-registry.js';
import { parseRegisterRequest } from './register-request.js';
import { resolveModelRef } from './resolve-model-ref.js';
import { registryApiError } from './registry-errors.js';
import { REGISTRY_PREFIX, nameParam, namespaceParam, queryString, sha256Header, type RawParams } from './route-params.js';

/** What the artifact routes need. */
export interface ArtifactRouteDeps {
  registry: ModelRegistry;
  maxArtifactBytes: number;
  subjectOf(req: unknown): { name: string } | undefined;
  uploadedBytes: Counter;
  downloads: Counter;
}

async function storeBody(req: FastifyRequest, reply: FastifyReply, deps: ArtifactRouteDeps): Promise<PutResult> {
  const expectedSha256 = sha256Header(req.headers['x-content-sha256']);
  try {
    const r = await receiveUpload(req.raw, deps.registry.store, { expectedSha256, maxBytes: deps.maxArtifactBytes });
    deps.uploadedBytes.inc(r.size);
    return r;
  } catch (err) {
    // the body was not drained: the connection cannot carry another request
    reply.header('connection', 'close');
    throw registryApiError(err, 'body');
  }
}

/** Registers the streaming routes in their own context, where no body parser runs. */
export function registerArtifactRoutes(app: FastifyInstance, deps: ArtifactRouteDeps): void {
  void app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

    child.post(`${REGISTRY_PREFIX}/models/:model/blobs`, async (req, reply) => {
      const p = req.params as RawParams;
      const ns = namespaceParam(p);
      nameParam(p, 'model');
      await deps.registry.requireProject(ns);
      const r = await storeBody(req, reply, deps);
      return reply.code(201).send(r);
    });

    child.put(`${REGISTRY_PREFIX}/${ModelVersionKind.plural}/:name/artifact`, async (req, reply) => {
      const p = req.params as RawParams;
      const ns = namespaceParam(p);
      const name = nameParam(p, 'name');
      const model = queryString(req.query, 'model');
      if (!model) throw badRequest('query parameter model is required (the version is the rest of the name after <model>-v)', 'model');
      if (!name.startsWith(`${model}-v`)) throw badRequest(`name ${name} does not start with ${model}-v: ModelVersion names are <model>-v<version>`, 'metadata.name');
      const version = name.slice(model.length + 2);
      const filename = queryString(req.query, 'filename') ?? 'model.onnx';
      // validate everything before reading the body, so bad input costs no upload
      const request = parseRegisterRequest(model, { version, format: queryString(req.query, 'format'), file: { path: filename, sha256: '0'.repeat(64) } });
      await deps.registry.requireProject(ns);
      const stored = await storeBody(req, reply, deps);
      const { object, created } = await deps.registry.register(ns, model, { ...request, file: { path: filename, sha256: stored.sha256 } }, deps.subjectOf(req)?.name ?? 'unknown');
      return reply.code(created ? 201 : 200).send(object);
    });
  });

  // A model reference (alias, range, latest) resolved server-side, so a pod's init container can
  // fetch `…/models/digits/artifact?ref=production` without knowing versions: 307 to the version.
  app.route({
    method: ['GET', 'HEAD'],
    url: `${REGISTRY_PREFIX}/models/:model/artifact`,
    handler: async (req, reply) => {
      const p = req.params as RawParams;
      const ns = namespaceParam(p);
      const model = nameParam(p, 'model');
      const selector = queryString(req.query, 'ref');
      const mv = await resolveModelRef(deps.registry.client, ns, selector ? `${model}@${selector}` : model);
      const path = queryString(req.query, 'path');
      const target = `/apis/capstan.dev/v1alpha1/namespaces/${ns}/${ModelVersionKind.plural}/${mv.metadata.name}/artifact${path !== undefined ? `?path=${encodeURIComponent(path)}` : ''}`;
      return reply.code(307).header('location', target).send();
    },
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: `${REGISTRY_PREFIX}/${ModelVersionKind.plural}/:name/artifact`,
    handler: async (req, reply) => {
      const p = req.params as RawParams;
      const ns = namespaceParam(p);
      const name = nameParam(p, 'name');
      const mv = await deps.registry.client.get(ModelVersionKind, ns, name);
      const spec = mv.spec as ModelVersionSpec;
      const path = queryString(req.query, 'path');
      let sha = spec.artifact.sha256;
      let filename = spec.artifact.files[0]?.path ?? `${name}.bin`;
      let contentType: string | undefined;
      if (path !== undefined) {
        try {
          validateManifestPath(path, 'path');
        } catch (err) {
          throw registryApiError(err, 'path');
        }
        const f = spec.artifact.files.find((x) => x.path === path);
        if (!f) throw new ApiError('NotFound', `version ${name} has no file ${path}`, { kind: 'ModelVersion', name });
        sha = f.sha256;
        filename = path;
      } else if (spec.artifact.layout === 'directory') {
        contentType = MANIFEST_MEDIA_TYPE;
        filename = `${name}.manifest.json`;
      }
      try {
        await deps.registry.store.stat(sha);
      } catch (err) {
        throw registryApiError(err);
      }
      reply.hijack();
      deps.downloads.inc();
      try {
        await serveBlob(req.raw, reply.raw, deps.registry.store, sha, { filename, contentType });
      } catch (err) {
        const apiErr = toApiError(registryApiError(err));
        if (!reply.raw.headersSent) reply.raw.writeHead(apiErr.code, { 'content-type': 'application/json' }).end(JSON.stringify(apiErr.toStatus()));
        else reply.raw.destroy();
      }
    },
  });
}
