import { render } from 'preact';
import { App } from './app.js';
import { resume } from './store.js';
import './styles.css';

resume();
render(<App />, document.getElementById('app')!);
