import { useRef, useState } from 'react';
import type { CometChat, CometMessageDetail } from 'comet-chat';
import type { ChatSettings } from './settings.js';

type Theme = 'light' | 'dark';

/**
 * The chat wired the React 19 way: attributes and properties as props (`strings` is an object, so
 * it goes in as a property), DOM events as `on<event-name>` props, methods through a ref.
 */
export function App({ server, devId, pipe }: ChatSettings) {
  const chat = useRef<CometChat>(null);
  const [name, setName] = useState('React user');
  const [theme, setTheme] = useState<Theme>('light');
  const [status, setStatus] = useState('not connected');
  const [seen, setSeen] = useState<CometMessageDetail['message'][]>([]);
  const [delivered, setDelivered] = useState<number | null>(null);

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '1rem auto', padding: '0 1rem' }}>
      <h1>comet-chat in React</h1>
      <p>
        <label>
          Name (a React prop of the element) <input id="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>{' '}
        <button id="theme" type="button" onClick={() => setTheme(theme === 'light' ? 'dark' : 'light')}>
          Theme: {theme}
        </button>{' '}
        <button id="hello" type="button" onClick={() => void chat.current?.send(`Hello from React, ${name}`)}>
          Say hello (ref.send)
        </button>
      </p>
      <comet-chat
        ref={chat}
        server={server}
        devId={devId}
        pipe={pipe}
        name={name}
        theme={theme}
        history={20}
        strings={{ title: 'React room' }}
        oncomet-connect={() => setStatus('connected')}
        oncomet-disconnect={(e) => setStatus(e.detail.status)}
        oncomet-message={(e) => setSeen((list) => [...list, e.detail.message].slice(-5))}
        oncomet-delivery={(e) => setDelivered(e.detail.report.number_messages)}
      />
      <section aria-label="Seen by React">
        <p id="status">Status (from comet-connect / comet-disconnect): {status}</p>
        <p id="delivered">Last delivery report: {delivered === null ? '—' : `${delivered} received it`}</p>
        <ol id="seen">
          {seen.map((m) => (
            <li key={m.id}>
              {m.name || 'Anonymous'}: {m.text}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
