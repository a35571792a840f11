/**
 * The browser app and the GraphQL explorer, built by Vite into web/dist (`npm run build`) and served by the API
 * server itself: `/` is the app, `/explorer` a bundled GraphiQL (no CDN anywhere), and a browser opening
 * `/graphql` is sent to the explorer when the landing page is on (GRAPHQL_LANDING_PAGE, off in production).
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import type { AppConfig } from './config';
import { PROJECT_ROOT } from './shared/paths';

export const WEB_ROOT = path.join(PROJECT_ROOT, 'web', 'dist');

export function mountWebApp(app: Express, config: Readonly<AppConfig>, root = WEB_ROOT): void {
  if (config.landingPage) {
    app.get('/graphql', (req, res, next) => {
      const wantsPage = req.accepts(['html', 'json']) === 'html' && !req.query.query;
      if (wantsPage) return res.redirect(302, '/explorer');
      next();
    });
  }
  const built = fs.existsSync(path.join(root, 'index.html'));
  if (!built) {
    app.get(['/', '/explorer'], (_req, res) => {
      res.status(503).type('text/plain').send('The web app is not built: run `npm run build` (it runs on `npm install` and `npm start`).');
    });
    return;
  }
  if (config.landingPage) app.get('/explorer', (_req, res) => res.sendFile(path.join(root, 'explorer.html')));
  // Hashed assets never change; the HTML entry points are revalidated so a new build is picked up at once.
  app.use('/assets', express.static(path.join(root, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  app.get('/', (_req, res) => res.setHeader('cache-control', 'no-cache').sendFile(path.join(root, 'index.html')));
}
