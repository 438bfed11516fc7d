// Registers <comet-chat> (and its JSX types) before React renders it: React 19 then sees the
// element's properties and sets them as properties, objects included.
import 'comet-chat/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { settingsFromUrl } from './settings.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App {...settingsFromUrl(location.search)} />
  </StrictMode>,
);
