// Registers <comet-chat> (and its template types) before Vue mounts the app.
import 'comet-chat/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { settingsFromUrl } from './settings.js';

createApp(App, { ...settingsFromUrl(location.search) }).mount('#app');
