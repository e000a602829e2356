// The embed example's script: defines <container-sandbox>, and keeps the page for offline use.
import '../element/index.ts';
import { keepOffline } from '../site/offline.ts';

const update = document.getElementById('update')!;
keepOffline((message) => {
  update.textContent = message;
  update.hidden = false;
});
