import { render } from 'preact';
import { App } from './app.js';
import { adoptTokenFromLocation } from './api/token.js';
import { live } from './state/live.js';
import './styles.css';

adoptTokenFromLocation();
live.start();
const root = document.getElementById('app');
if (root) render(<App />, root);
