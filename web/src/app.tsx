/** The dashboard app: sign-in gate, discovery of kinds, the project in the URL, and the pages. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { apiJson, errorText, onUnauthorized, SESSION_MARK, storedToken, storeToken } from './api/client.js';
import { discoverKinds, GROUP_VERSION, type KindInfo } from './api/discovery.js';
import { AppContext, type AppState, type Identity } from './state/app-context.js';
import { Priority, resetCollections, useCollection } from './state/collections.js';
import { href, navigate, useRoute } from './state/router.js';
import { ErrorBox } from './ui/common.js';
import { Layout } from './ui/layout.js';
import { SignIn } from './ui/sign-in.js';
import { PageSwitch } from './pages/page-switch.js';
// Kind-specific views register themselves with the generic pages.
import './pages/queue-views.js';
import './pages/registry-views.js';
import './pages/serving-views.js';
import './pages/training-views.js';
import './pages/tenancy-views.js';

const PROJECT_KEY = 'capstan.project';

/** Asks the server who the token belongs to (what `kubectl auth whoami` asks). */
export async function whoAmI(token?: string): Promise<Identity> {
  const r = await apiJson<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    method: 'POST',
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    token,
  });
  return { username: r.status?.userInfo?.username ?? 'unknown', groups: r.status?.userInfo?.groups ?? [] };
}

/** The root component. */
export function App() {
  const [token, setToken] = useState(storedToken);
  const [notice, setNotice] = useState<string>();
  const signOut = useCallback((why?: string) => {
    // A password session ends on the server too (its cookie is httpOnly).
    if (storedToken() === SESSION_MARK && !why) void apiJson('/auth/logout', { method: 'POST' }).catch(() => undefined);
    storeToken(undefined);
    resetCollections();
    setToken(undefined);
    setNotice(why);
  }, []);
  useEffect(() => onUnauthorized(() => signOut('The server no longer accepts your token. Sign in again.')), [signOut]);
  if (!token) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          storeToken(t);
          setNotice(undefined);
          setToken(t);
        }}
      />
    );
  }
  return <SignedIn key={token} signOut={() => signOut()} />;
}

function SignedIn({ signOut }: { signOut: () => void }) {
  const [boot, setBoot] = useState<{ kinds: KindInfo[]; identity: Identity } | { error: string }>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    Promise.all([discoverKinds(ac.signal), whoAmI()])
      .then(([kinds, identity]) => setBoot({ kinds, identity }))
      .catch((err) => !ac.signal.aborted && setBoot({ error: errorText(err) }));
    return () => ac.abort();
  }, [attempt]);
  const route = useRoute();
  const projects = useCollection(`/apis/${GROUP_VERSION}/projects`, Priority.background);
  const project = route.project ?? lastProject(projects.items.map((p) => p.metadata.name));

  useEffect(() => {
    if (route.page === 'home' || route.page === 'signin') navigate(href(project), true);
    else if (route.project) {
      try {
        localStorage.setItem(PROJECT_KEY, route.project);
      } catch {
        // No storage: the URL still carries the project.
      }
    }
  }, [route.page, route.project, project]);

  const state = useMemo<AppState | undefined>(() => {
    if (!boot || 'error' in boot) return undefined;
    const byPlural = new Map(boot.kinds.map((k) => [k.plural, k]));
    const byKind = new Map(boot.kinds.map((k) => [k.kind, k]));
    return { ...boot, project, signOut, kindByPlural: (p) => byPlural.get(p), kindByKind: (k) => byKind.get(k) };
  }, [boot, project, signOut]);

  if (!boot) return <p className="signin" role="status">Connecting to Capstan…</p>;
  if ('error' in boot) {
    return (
      <div className="signin panel">
        <h1>Capstan cannot start the dashboard</h1>
        <ErrorBox error={boot.error} />
        <div className="row">
          <button className="primary" onClick={() => (setBoot(undefined), setAttempt((a) => a + 1))}>Try again</button>
          <button onClick={signOut}>Sign out</button>
        </div>
      </div>
    );
  }
  return (
    <AppContext.Provider value={state}>
      <Layout projects={projects.items.map((p) => p.metadata.name)} route={route}>
        <PageSwitch route={route} />
      </Layout>
    </AppContext.Provider>
  );
}

function lastProject(names: string[]): string {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(PROJECT_KEY);
  } catch {
    // ignore: fall back to the first project
  }
  if (saved && (names.length === 0 || names.includes(saved))) return saved;
  return names.includes('default') ? 'default' : names[0] ?? 'default';
}
