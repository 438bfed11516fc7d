/** Where the chat server is: `?server=…&dev-id=…&pipe=…`, with defaults for `npm start` at the repository root. */
export interface ChatSettings {
  server: string;
  devId: string;
  pipe: string;
}

export function settingsFromUrl(search: string): ChatSettings {
  const q = new URLSearchParams(search);
  return {
    server: q.get('server') ?? 'http://127.0.0.1:8080',
    devId: q.get('dev-id') ?? '1',
    pipe: q.get('pipe') ?? 'web_frameworks',
  };
}
