/** Light/dark theme: follows the system unless the person picked one (kept in localStorage). */

/** A theme choice; 'auto' follows prefers-color-scheme. */
export type ThemeChoice = 'auto' | 'light' | 'dark';

const KEY = 'capstan.theme';

/** The saved choice. */
export function savedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** Applies and saves a choice. */
export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', choice);
  try {
    if (choice === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // No storage: the choice lasts for this page only.
  }
}

/** The next choice in the toggle's cycle. */
export function nextTheme(c: ThemeChoice): ThemeChoice {
  return c === 'auto' ? 'dark' : c === 'dark' ? 'light' : 'auto';
}
