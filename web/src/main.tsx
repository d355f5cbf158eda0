/** Dashboard entry: applies the saved theme before the first paint, then mounts the app. */
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { applyTheme, savedTheme } from './ui/theme.js';
import './styles.css';

applyTheme(savedTheme());
createRoot(document.getElementById('root')!).render(<App />);
