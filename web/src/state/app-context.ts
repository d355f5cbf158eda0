/** What every page knows: the kinds the server serves, the project, the signed-in identity. */
import { createContext, useContext } from 'react';
import type { KindInfo } from '../api/discovery.js';

/** The signed-in subject as the server reports it. */
export interface Identity {
  username: string;
  groups: string[];
}

/** The app-wide context. */
export interface AppState {
  kinds: KindInfo[];
  project: string;
  identity: Identity;
  signOut(): void;
  /** The kind served under a plural name, if any. */
  kindByPlural(plural: string): KindInfo | undefined;
  /** The kind for a Kind name, if served. */
  kindByKind(kind: string): KindInfo | undefined;
}

/** React context carrying AppState. */
export const AppContext = createContext<AppState | undefined>(undefined);

/** The app state; only used below the signed-in shell. */
export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside the signed-in shell');
  return s;
}
