import { render } from 'preact';
import { App } from './components/App.js';
import './styles.css';

render(<App />, document.getElementById('app')!);

// The service worker (web/src/sw.ts, built to /sw.js) shows push notifications while the
// app is closed. Not in the dev server, which does not build it.
if ('serviceWorker' in navigator && import.meta.env.PROD)
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
