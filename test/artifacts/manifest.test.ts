import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isArtifactError } from '../../src/artifacts/errors.js';
import {
  MANIFEST_MEDIA_TYPE,
  looksLikeManifest,
  parseManifest,
  serializeManifest,
  validateManifestPath,
  type ManifestFile,
} from '../../src/artifacts/manifest.js';

const SHA = 'a'.repeat(64);

test('safe relative paths are accepted', () => {
  for (const p of ['model.onnx', 'a/b/c.bin', '.hidden', 'a/.b/..c', 'dir/file with spaces', 'ünïcode/名前']) {
    assert.equal(validateManifestPath(p), p);
  }
});

test('traversal and ambiguous paths are InvalidPath', () => {
  const bad = ['', '/etc/passwd', '../x', 'a/../../x', 'a/..', '..', '.', './a', 'a/./b', 'a//b', 'a/', 'a\\b', '..\\x', 'a\0b', 'C:/x', 'c:x', 'x'.repeat(256)];
  for (const p of bad) {
    assert.throws(() => validateManifestPath(p), (e: unknown) => isArtifactError(e, 'InvalidPath'), JSON.stringify(p));
  }
  assert.throws(() => validateManifestPath(42), (e: unknown) => isArtifactError(e, 'InvalidPath'));
});

test('property: any accepted path stays inside the destination when joined', () => {
  const seg = fc.oneof(fc.constantFrom('..', '.', '', '/', '\\', 'a', '\0', 'C:'), fc.string({ maxLength: 6 }));
  fc.assert(
    fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.constantFrom('/', ''), (segs, sep) => {
      const p = segs.join(sep);
      let ok = true;
      try {
        validateManifestPath(p);
      } catch {
        ok = false;
      }
      if (ok) {
        const root = path.resolve('/dest');
        const target = path.resolve(root, ...p.split('/'));
        assert.ok(target.startsWith(root + path.sep), `${JSON.stringify(p)} escaped to ${target}`);
      }
    }),
    { numRuns: 2000, seed: 42 },
  );
});

test('serialisation is canonical: order of input does not change the bytes', () => {
  const a: ManifestFile = { path: 'b.bin', sha256: SHA, size: 1, mode: 0o644 };
  const b: ManifestFile = { path: 'a/x.bin', sha256: 'b'.repeat(64), size: 2, mode: 0o755 };
  const one = serializeManifest([a, b]);
  assert.deepEqual(one, serializeManifest([b, a]));
  assert.ok(looksLikeManifest(one));
  assert.ok(!looksLikeManifest(Buffer.from('{"files":[]}')));
  const parsed = parseManifest(one);
  assert.equal(parsed.mediaType, MANIFEST_MEDIA_TYPE);
  assert.deepEqual(parsed.files.map((f) => f.path), ['a/x.bin', 'b.bin']);
});

test('parseManifest rejects malformed manifests with a field path', () => {
  const enc = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  const cases: [unknown, string, string | undefined][] = [
    [{ mediaType: 'x', files: [] }, 'InvalidManifest', 'mediaType'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: 'a', sha256: 'zz', size: 1, mode: 0o644 }] }, 'InvalidManifest', 'files[0].sha256'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: 'a', sha256: SHA, size: -1, mode: 0o644 }] }, 'InvalidManifest', 'files[0].size'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: 'a', sha256: SHA, size: 1, mode: 0o777 }] }, 'InvalidManifest', 'files[0].mode'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: '../evil', sha256: SHA, size: 1, mode: 0o644 }] }, 'InvalidPath', 'files[0].path'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: 'a', sha256: SHA, size: 1, mode: 0o644 }, { path: 'a', sha256: SHA, size: 1, mode: 0o644 }] }, 'InvalidManifest', 'files'],
    [{ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: 'a', sha256: SHA, size: 1, mode: 0o644 }, { path: 'a/b', sha256: SHA, size: 1, mode: 0o644 }] }, 'InvalidManifest', 'files'],
  ];
  for (const [obj, code, field] of cases) {
    assert.throws(() => parseManifest(enc(obj)), (e: unknown) => {
      assert.ok(isArtifactError(e), String(e));
      assert.equal(e.code, code, JSON.stringify(obj));
      assert.equal(e.field, field);
      return true;
    });
  }
  assert.throws(() => parseManifest(Buffer.from('not json')), (e: unknown) => isArtifactError(e, 'InvalidManifest'));
});
