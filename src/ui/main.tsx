/** Entry of the web UI: resumes the session (or waits for a starting server), then renders. */
import { render } from 'preact'
import { App } from './app.tsx'
import { boot } from './data/session.ts'
import './styles.css'

render(<App />, document.getElementById('app')!)
void boot()
